import { closeSync, existsSync, openSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import type { AuditEvent } from "../audit/event.ts";
import { decodeFrame, readRecordsOf, type ReadProblem } from "../audit/reader.ts";
import { createRecordFilter, parseTimeBound, type RecordCriteria } from "../audit/record-filter.ts";
import { scanSegment } from "../audit/scan.ts";
import { listSegments, type SegmentFile } from "../audit/segment-files.ts";
import { auditDirectory } from "../audit/trail.ts";
import { verifyChain } from "../audit/verify.ts";
import { loadConfigFile } from "../config/load.ts";
import { csvHeader, csvLine, jsonLine, OutputBuffer } from "./audit-output.ts";

interface LocateOptions {
  readonly dir?: string;
  readonly config?: string;
}

interface FilterOptions extends LocateOptions {
  readonly since?: string;
  readonly until?: string;
  readonly identity?: string;
  readonly credential?: string;
  readonly tenant?: string;
  readonly route?: string;
  readonly decision?: string;
  readonly status?: string;
  readonly requestId?: string;
}

/** `portcullis audit tail|query|verify|export`: read and check the audit trail on disk. */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command("audit")
    .description("Read, search, export and verify the audit trail");

  withFilters(withLocation(audit.command("query")))
    .description("Print matching records as JSON Lines, oldest first")
    .option("--limit <n>", "stop after this many records", positiveInteger)
    .action((options: FilterOptions & { limit?: number }) => {
      const out = stdoutBuffer();
      const count = emitRecords(options, (record) => out.write(jsonLine(record)), options.limit);
      out.flush();
      process.stderr.write(`${count} record(s)\n`);
    });

  withFilters(withLocation(audit.command("tail")))
    .description("Print the newest records as JSON Lines; --follow keeps printing new ones")
    .option("-n, --lines <n>", "how many records", positiveInteger, 10)
    .option("-f, --follow", "keep printing records as they are written")
    .action(async (options: FilterOptions & { lines: number; follow?: boolean }) => {
      await tail(options);
    });

  withFilters(withLocation(audit.command("export")))
    .description("Write matching records as JSON Lines or CSV")
    .addOption(new Option("--format <format>", "output format").choices(["jsonl", "csv"]))
    .option("-o, --out <file>", "write here instead of stdout")
    .action((options: FilterOptions & { format?: string; out?: string }) => exportRecords(options));

  withLocation(audit.command("verify"))
    .description("Walk the hash chain across segments; exit 1 at the first broken point")
    .option("--key-env <name>", "environment variable holding the HMAC key")
    .option("--json", "print the report as JSON")
    .action((options: LocateOptions & { keyEnv?: string; json?: boolean }) => {
      const { dir, key } = locate(options);
      const keyText = options.keyEnv ? process.env[options.keyEnv] : key;
      if (options.keyEnv && !keyText) fail(`environment variable ${options.keyEnv} is not set`);
      const report = verifyChain(dir, keyText ? new TextEncoder().encode(keyText) : null);
      if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else printVerifyReport(dir, report);
      process.exitCode = report.ok ? 0 : 1;
    });
}

function withLocation(command: Command): Command {
  return command
    .option("-d, --dir <dir>", "audit segment directory")
    .option("-c, --config <file>", "gateway config naming the directory (audit.dir / dataDir)");
}

function withFilters(command: Command): Command {
  return command
    .option("--since <time>", "records at or after (ISO 8601, epoch ms, or an age: 15m, 2h, 7d)")
    .option("--until <time>", "records before")
    .option("--identity <subject>", "consumer id or token subject")
    .option("--credential <id>", "API key id or token jti")
    .option("--tenant <tenant>")
    .option("--route <id>")
    .addOption(new Option("--decision <decision>").choices(["allow", "deny", "error"]))
    .option("--status <status>", "status code (503) or class (5xx)")
    .option("--request-id <id>");
}

/** Finds the segment directory (and the HMAC key, when a config names one). */
function locate(options: LocateOptions): { dir: string; key: string | null } {
  if (options.dir) {
    if (!existsSync(options.dir)) fail(`no such directory: ${options.dir}`);
    return { dir: options.dir, key: null };
  }
  const file = options.config ?? "config/gateway.yaml";
  try {
    const config = loadConfigFile(file);
    return { dir: auditDirectory(config), key: config.audit.hmacKey ?? null };
  } catch (error) {
    return fail((error as Error).message);
  }
}

function criteriaOf(options: FilterOptions): RecordCriteria {
  try {
    return {
      ...options,
      since: options.since === undefined ? undefined : parseTimeBound(options.since),
      until: options.until === undefined ? undefined : parseTimeBound(options.until),
    };
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** Streams matching records of the whole directory to `emit`; returns how many matched. */
function emitRecords(
  options: FilterOptions,
  emit: (record: AuditEvent) => void,
  limit = Infinity,
  segments?: readonly SegmentFile[],
): number {
  const { dir } = locate(options);
  const criteria = criteriaOf(options);
  const matches = compileFilter(criteria);
  let count = 0;
  const read = { since: criteria.since, until: criteria.until, onProblem: reportProblem };
  for (const record of readRecordsOf(segments ?? listSegments(dir), read)) {
    if (!matches(record)) continue;
    emit(record);
    if (++count >= limit) break;
  }
  return count;
}

async function tail(options: FilterOptions & { lines: number; follow?: boolean }) {
  const { dir } = locate(options);
  const matches = compileFilter(criteriaOf(options));
  const out = stdoutBuffer();
  const segments = listSegments(dir);

  // Newest segments first until enough records are in hand, then print in order.
  let newest: AuditEvent[] = [];
  for (let i = segments.length - 1; i >= 0 && newest.length < options.lines; i--) {
    const found: AuditEvent[] = [];
    for (const record of readRecordsOf([segments[i]!], { onProblem: reportProblem })) {
      if (matches(record)) found.push(record);
    }
    newest = [...found, ...newest];
  }
  for (const record of newest.slice(-options.lines)) out.write(jsonLine(record));
  out.flush();
  if (!options.follow) return;

  let current = segments.at(-1) ?? null;
  let offset = current ? endOfWholeFrames(current.path, 0) : 0;
  for (;;) {
    await Bun.sleep(250);
    // List first: a newer segment exists only once the current one is complete.
    const all = listSegments(dir);
    const next = current ? all.find((s) => s.firstSequence > current!.firstSequence) : all[0];
    if (current) offset = followSegment(current.path, offset, matches, out);
    if (next) {
      current = next;
      offset = followSegment(current.path, 0, matches, out);
    }
    out.flush();
  }
}

/** Prints the records of whole frames from `offset` on; returns where it stopped. */
function followSegment(
  path: string,
  offset: number,
  matches: (r: AuditEvent) => boolean,
  out: OutputBuffer,
): number {
  let position = offset;
  for (const item of scanSegment(path, offset)) {
    // A break at the end is a batch still being written: pick it up on the next poll.
    if (item.kind === "break") break;
    for (const record of decodeFrame(item)) if (matches(record)) out.write(jsonLine(record));
    position = item.offset + item.bytes.length;
  }
  return position;
}

function endOfWholeFrames(path: string, offset: number): number {
  let position = offset;
  for (const item of scanSegment(path, offset)) {
    if (item.kind === "break") break;
    position = item.offset + item.bytes.length;
  }
  return position;
}

function exportRecords(options: FilterOptions & { format?: string; out?: string }) {
  const csv = options.format === "csv";
  const fd = options.out ? openFile(options.out) : 1;
  const out = new OutputBuffer(fd);
  if (csv) out.write(csvHeader);
  const count = emitRecords(options, (r) => out.write(csv ? csvLine(r) : jsonLine(r)));
  out.flush();
  if (fd !== 1) closeSync(fd);
  process.stderr.write(`${count} record(s) exported\n`);
}

function printVerifyReport(dir: string, report: ReturnType<typeof verifyChain>): void {
  const { firstSequence, lastSequence } = report;
  const range = firstSequence === null ? "" : ` (batches ${firstSequence}..${lastSequence})`;
  const counts = `${report.batches} batch(es), ${report.records} record(s)${range}`;
  const hmac = report.hmacChecked ? ", HMAC checked" : "";
  for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
  if (report.ok) {
    process.stdout.write(`ok: ${dir}: ${report.segments} segment(s), ${counts}${hmac}\n`);
    return;
  }
  const b = report.broken!;
  const batch = b.sequence === null ? "" : ` (batch ${b.sequence})`;
  process.stdout.write(`BROKEN at ${b.segment} offset ${b.offset}${batch}: ${b.message}\n`);
  process.stdout.write(`intact before the break: ${counts}${hmac}\n`);
}

function compileFilter(criteria: RecordCriteria) {
  try {
    return createRecordFilter(criteria);
  } catch (error) {
    return fail((error as Error).message);
  }
}

function reportProblem(problem: ReadProblem): void {
  const batch = problem.sequence === null ? "" : ` (batch ${problem.sequence})`;
  const where = `${problem.segment} offset ${problem.offset}${batch}`;
  process.stderr.write(`warning: skipped the rest of ${where}: ${problem.problem}\n`);
}

function stdoutBuffer(): OutputBuffer {
  return new OutputBuffer(1);
}

function openFile(path: string): number {
  try {
    return openSync(path, "w", 0o640);
  } catch (error) {
    return fail(`cannot write ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("not a positive integer");
  return n;
}

function fail(message: string): never {
  process.stderr.write(`portcullis audit: ${message}\n`);
  process.exit(1);
}

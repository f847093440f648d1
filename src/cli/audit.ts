import { closeSync, existsSync, openSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import type { AuditEvent } from "../audit/event.ts";
import { listChains } from "../audit/chains.ts";
import { readRecords, type ReadProblem } from "../audit/reader.ts";
import { createRecordFilter, parseTimeBound, type RecordCriteria } from "../audit/record-filter.ts";
import { auditDirectory } from "../audit/trail.ts";
import { verifyChain } from "../audit/verify.ts";
import { loadConfigFile } from "../config/load.ts";
import { csvHeader, csvLine, jsonLine, OutputBuffer } from "./audit-output.ts";
import { tailChains } from "./audit-tail.ts";

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
      const out = new OutputBuffer(1);
      const count = emitRecords(options, (record) => out.write(jsonLine(record)), options.limit);
      out.flush();
      process.stderr.write(`${count} record(s)\n`);
    });

  withFilters(withLocation(audit.command("tail")))
    .description("Print the newest records as JSON Lines; --follow keeps printing new ones")
    .option("-n, --lines <n>", "how many records", positiveInteger, 10)
    .option("-f, --follow", "keep printing records as they are written")
    .action(async (options: FilterOptions & { lines: number; follow?: boolean }) => {
      const { dir } = locate(options);
      const matches = compileFilter(criteriaOf(options));
      const follow = options.follow ?? false;
      await tailChains(listChains(dir), { lines: options.lines, follow, matches, onProblem });
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
      const chains = listChains(dir);
      if (chains.length === 0) fail(`no audit segments in ${dir}`);
      const hmacKey = keyText ? new TextEncoder().encode(keyText) : null;
      const reports = chains.map((chain) => ({ chain, report: verifyChain(chain.dir, hmacKey) }));
      const ok = reports.every(({ report }) => report.ok);
      if (options.json) {
        const list = reports.map(({ chain, report }) => ({ chain: chain.name, ...report }));
        process.stdout.write(`${JSON.stringify({ ok, chains: list })}\n`);
      } else {
        for (const { chain, report } of reports) printVerifyReport(chain.dir, report);
      }
      process.exitCode = ok ? 0 : 1;
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
): number {
  const { dir } = locate(options);
  const criteria = criteriaOf(options);
  const matches = compileFilter(criteria);
  let count = 0;
  const read = { since: criteria.since, until: criteria.until, onProblem };
  for (const record of readRecords(dir, read)) {
    if (!matches(record)) continue;
    emit(record);
    if (++count >= limit) break;
  }
  return count;
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

function onProblem(problem: ReadProblem): void {
  const batch = problem.sequence === null ? "" : ` (batch ${problem.sequence})`;
  const where = `${problem.segment} offset ${problem.offset}${batch}`;
  process.stderr.write(`warning: skipped the rest of ${where}: ${problem.problem}\n`);
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

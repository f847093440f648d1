import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from "yaml";
import type { z } from "zod";
import { gatewayConfigSchema, type GatewayConfig } from "./schema.ts";
import { crossCheckConfig, routeReferenceProblems } from "./cross-check.ts";

/** One thing wrong with a config file, with where it is. */
export interface ConfigProblem {
  /** Dotted path such as `routes[2].upstream`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the file, where the parser could tell. */
  readonly line?: number;
}

/** Thrown when a config cannot be used; carries every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} problem(s)\n${formatProblems(file, problems)}`);
    this.name = "ConfigError";
  }
}

export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => `  ${file}${p.line ? `:${p.line}` : ""}  ${p.path || "(document)"}: ${p.message}`)
    .join("\n");
}

/**
 * A check the loader's caller adds (policy compilation): it sees the validated config and
 * returns problems located by config path segments, which the loader turns into lines.
 */
export type ExtraConfigCheck = (config: GatewayConfig) => readonly LocatedProblem[];

export interface LocatedProblem {
  readonly segments: readonly (string | number)[];
  readonly path: string;
  readonly message: string;
}

/** Reads, substitutes `${ENV_VAR}`, validates and freezes a config file. */
export function loadConfigFile(
  file: string,
  env: Record<string, string | undefined> = process.env,
  extraCheck?: ExtraConfigCheck,
) {
  return parseConfigText(readYamlFile(file), file, env, extraCheck, dirname(resolve(file)));
}

/**
 * Relative file locations in a config file mean "next to this file", not "wherever the
 * command was started", so the gateway and every CLI command given the same file use the
 * same identity store, audit folder and log.
 */
function resolveRelativePaths(config: GatewayConfig, baseDir: string): void {
  const mutable = config as { dataDir: string; log: { file?: string }; audit: { dir?: string } };
  mutable.dataDir = resolve(baseDir, config.dataDir);
  if (config.log.file) mutable.log.file = resolve(baseDir, config.log.file);
  if (config.audit.dir) mutable.audit.dir = resolve(baseDir, config.audit.dir);
}

/** Reads a YAML file's text; an unreadable file is a ConfigError naming why. */
export function readYamlFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(file, [{ path: "", message: `cannot read file (${reason})` }]);
  }
}

/** Parses YAML text into a frozen, validated config; throws ConfigError listing all problems. */
export function parseConfigText(
  text: string,
  file = "<config>",
  env: Record<string, string | undefined> = process.env,
  extraCheck?: ExtraConfigCheck,
  baseDir?: string,
): GatewayConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;

  const syntaxProblems = doc.errors.map((e) => ({
    path: "",
    message: e.message.split("\n")[0] ?? "YAML syntax error",
    line: lineOf(e.pos[0]),
  }));
  if (syntaxProblems.length > 0) throw new ConfigError(file, syntaxProblems);

  // Every problem at once: a missing variable, schema errors and broken references together.
  const envProblems = substituteEnvironment(doc, env, lineOf);
  let raw: unknown;
  try {
    // toJS expands aliases; a document built to expand without end is refused here.
    raw = doc.toJS() ?? {};
  } catch (error) {
    throw new ConfigError(file, [{ path: "", message: (error as Error).message.split("\n")[0]! }]);
  }
  const parsed = gatewayConfigSchema.safeParse(raw);
  if (!parsed.success || envProblems.length > 0) {
    const schemaProblems = parsed.success
      ? []
      : parsed.error.issues.flatMap((i) => describeIssue(i, doc, lineOf));
    const references = bestEffortCrossCheck(raw).map((p) => ({
      path: p.path,
      message: p.message,
      line: lineOf(nodeAt(doc, p.segments)?.range?.[0]),
    }));
    throw new ConfigError(file, [...envProblems, ...schemaProblems, ...references]);
  }

  if (baseDir) resolveRelativePaths(parsed.data, baseDir);
  const located = [...crossCheckConfig(parsed.data), ...(extraCheck?.(parsed.data) ?? [])];
  const crossProblems = located.map((p) => ({
    ...p,
    line: lineOf(nodeAt(doc, p.segments)?.range?.[0]),
  }));
  if (crossProblems.length > 0) {
    const problems = crossProblems.map((p) => ({ path: p.path, message: p.message, line: p.line }));
    throw new ConfigError(file, problems);
  }
  return deepFreeze(parsed.data);
}

/** `${NAME}` in any string scalar is replaced from the environment; a missing name is an error. */
function substituteEnvironment(
  doc: Document,
  env: Record<string, string | undefined>,
  lineOf: (offset: number | undefined) => number | undefined,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== "string" || !node.value.includes("${")) return;
      node.value = node.value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
        const value = env[name];
        if (value !== undefined) return value;
        problems.push({
          path: formatPath(pathOfAncestors(ancestors, node)),
          message: `environment variable ${name} is not set`,
          line: lineOf(node.range?.[0]),
        });
        return whole;
      });
    },
  });
  return problems;
}

/** The config path of a node from the ancestors `visit` hands over (pairs and sequences). */
function pathOfAncestors(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const segments: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && parent.value === child && isScalar(parent.key)) {
      segments.push(String(parent.key.value));
    } else if (isSeq(parent)) {
      segments.push(parent.items.indexOf(child as never));
    }
  }
  return segments;
}

/**
 * Route references on a config that failed its schema, so broken references are reported with
 * the schema errors. Routes without a string id and upstream are skipped.
 */
function bestEffortCrossCheck(raw: unknown) {
  const candidate = raw as { routes?: unknown; upstreams?: unknown };
  if (!Array.isArray(candidate?.routes)) return [];
  const upstreams = candidate.upstreams;
  const names = upstreams && typeof upstreams === "object" ? Object.keys(upstreams) : [];
  const usable = candidate.routes.every(
    (r) => typeof r === "object" && r !== null && typeof r.id === "string" &&
      typeof r.upstream === "string",
  );
  return usable ? routeReferenceProblems(candidate.routes, names) : [];
}

function describeIssue(
  issue: z.core.$ZodIssue,
  doc: Document,
  lineOf: (offset: number | undefined) => number | undefined,
): ConfigProblem[] {
  const segments = issue.path.filter((s): s is string | number => typeof s !== "symbol");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: formatPath([...segments, key]),
      message: "unknown key",
      line: lineOf(keyNodeAt(doc, segments, key)?.range?.[0]),
    }));
  }
  return [
    {
      path: formatPath(segments),
      message: issue.message,
      line: lineOf((nodeAt(doc, segments) ?? nodeAt(doc, segments.slice(0, -1)))?.range?.[0]),
    },
  ];
}

function nodeAt(doc: Document, segments: readonly (string | number)[]): Node | undefined {
  const node = doc.getIn(segments, true);
  return node && typeof node === "object" && "range" in node ? (node as Node) : undefined;
}

function keyNodeAt(doc: Document, segments: readonly (string | number)[], key: string) {
  const parent = segments.length === 0 ? doc.contents : doc.getIn(segments, true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === key);
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

export function formatPath(segments: readonly (string | number)[]): string {
  return segments
    .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join("");
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

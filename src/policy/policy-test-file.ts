import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError, formatPath, readYamlFile, type ConfigProblem } from "../config/load.ts";

const callerSchema = z.strictObject({
  roles: z.array(z.string().min(1)).default([]),
  scopes: z.array(z.string().min(1)).default([]),
  tenant: z.string().min(1).optional(),
});

const caseSchema = z
  .strictObject({
    name: z.string().optional(),
    /** A name from `policy.identities` or `identity.consumers`. */
    identity: z.string().min(1).optional(),
    /** An ad-hoc caller. */
    caller: callerSchema.optional(),
    /** A request without credentials. */
    anonymous: z.literal(true).optional(),
    method: z.string().regex(/^[A-Z]+$/, "an upper-case HTTP method"),
    /** Request target; a query string is allowed and ignored by routing. */
    path: z.string().startsWith("/"),
    host: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    expect: z.enum(["allow", "deny"]),
    /** Optional finer expectations. */
    status: z.number().int().optional(),
    reason: z.string().optional(),
    rule: z.string().optional(),
  })
  .refine(
    (c) => [c.identity, c.caller, c.anonymous].filter((v) => v !== undefined).length === 1,
    "give exactly one of identity, caller or anonymous: true",
  );

const fileSchema = z.strictObject({
  /** Config the cases run against, relative to this file; `--config` overrides it. */
  config: z.string().optional(),
  cases: z.array(caseSchema).min(1),
});

export type PolicyTestCase = z.infer<typeof caseSchema>;

export interface PolicyTestFile {
  /** Absolute path of the config named in the file, if it names one. */
  readonly configPath: string | null;
  readonly cases: readonly PolicyTestCase[];
}

/** Reads and validates a policy test table; throws ConfigError with lines on bad input. */
export function loadPolicyTestFile(file: string): PolicyTestFile {
  const text = readYamlFile(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      path: "",
      message: e.message.split("\n")[0] ?? "YAML syntax error",
      line: lineAt(e.pos[0]),
    }));
    throw new ConfigError(file, problems);
  }

  const parsed = fileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue): ConfigProblem => {
      const segments = issue.path.filter((s): s is string | number => typeof s !== "symbol");
      // A missing key has no node of its own: point at the mapping that lacks it.
      const node = (doc.getIn(segments, true) ?? doc.getIn(segments.slice(0, -1), true)) as
        | { range?: [number] }
        | undefined;
      return { path: formatPath(segments), message: issue.message, line: lineAt(node?.range?.[0]) };
    });
    throw new ConfigError(file, problems);
  }
  const configPath = parsed.data.config ? resolve(dirname(file), parsed.data.config) : null;
  return { configPath, cases: parsed.data.cases };
}

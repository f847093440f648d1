import { Command } from "commander";
import { ConfigError } from "../config/load.ts";
import type { GatewayConfig } from "../config/schema.ts";
import { explainRequest } from "../policy/explain.ts";
import { formatExplanation } from "../policy/explain-format.ts";
import { formatMatrix, policyMatrix } from "../policy/matrix.ts";
import { knownCallerNames, namedCaller, type CallerSpec } from "../policy/named-callers.ts";
import { formatPolicyTestResults, runPolicyTests } from "../policy/policy-test.ts";
import { loadPolicyTestFile } from "../policy/policy-test-file.ts";
import { loadGatewayConfig } from "../server/load-config.ts";
import { defaultConfigPath } from "./serve.ts";

interface ExplainOptions {
  config: string;
  identity?: string;
  roles?: string;
  scopes?: string;
  tenant?: string;
  method: string;
  path: string;
  host?: string;
  header: string[];
  json?: boolean;
}

/** `portcullis policy explain|test|matrix`: what the compiled policy decides, before deploying. */
export function registerPolicyCommand(program: Command): void {
  const policy = program.command("policy").description("Explain, test and tabulate the policy");

  policy
    .command("explain")
    .description("Show allow/deny for one request, the matched route and the deciding rule")
    .option("-c, --config <file>", "config file", defaultConfigPath)
    .option("--identity <name>", "a caller from policy.identities or identity.consumers")
    .option("--roles <list>", "comma-separated roles of an ad-hoc caller")
    .option("--scopes <list>", "comma-separated scopes of the caller")
    .option("--tenant <tenant>", "tenant of the caller")
    .requiredOption("--method <method>", "request method")
    .requiredOption("--path <target>", "request target, e.g. /payments/charge")
    .option("--host <host>", "Host header, for routes bound to hosts")
    .option("--header <line>", "request header `name: value` (repeatable)", collect, [])
    .option("--json", "print the explanation as JSON")
    .addHelpText(
      "after",
      "\nWithout --identity, --roles, --scopes or --tenant the caller is anonymous.",
    )
    .action((options: ExplainOptions) => {
      process.exitCode = explainCommand(options);
    });

  policy
    .command("test")
    .description("Run a YAML table of expectations; exit 1 when any case fails")
    .argument("<file>", "policy test file")
    .option("-c, --config <file>", "config file (default: the file's `config`, else the default)")
    .action((file: string, options: { config?: string }) => {
      process.exitCode = testCommand(file, options.config);
    });

  policy
    .command("matrix")
    .description("Print, for every role, the routes and methods it reaches")
    .option("-c, --config <file>", "config file", defaultConfigPath)
    .option("--json", "print rows as JSON")
    .action((options: { config: string; json?: boolean }) => {
      process.exitCode = matrixCommand(options.config, options.json ?? false);
    });
}

function explainCommand(options: ExplainOptions): number {
  const config = loadOrReport(options.config);
  if (!config) return 1;
  const caller = callerFrom(config, options);
  if (typeof caller === "string") {
    console.error(caller);
    return 1;
  }
  const headers = parseHeaders(options.header);
  if (typeof headers === "string") {
    console.error(headers);
    return 1;
  }
  const request = {
    method: options.method.toUpperCase(),
    target: options.path,
    host: options.host,
    caller,
    headers,
  };
  const explanation = explainRequest(config, request);
  const text = options.json
    ? JSON.stringify(explanation, null, 2)
    : formatExplanation(request, explanation);
  console.log(text);
  return 0;
}

function testCommand(file: string, configOption: string | undefined): number {
  let tests;
  try {
    tests = loadPolicyTestFile(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
  const config = loadOrReport(configOption ?? tests.configPath ?? defaultConfigPath);
  if (!config) return 1;
  const results = runPolicyTests(config, tests.cases);
  console.log(formatPolicyTestResults(results));
  return results.every((r) => r.passed) ? 0 : 1;
}

function matrixCommand(file: string, json: boolean): number {
  const config = loadOrReport(file);
  if (!config) return 1;
  const rows = policyMatrix(config);
  console.log(json ? JSON.stringify(rows, null, 2) : formatMatrix(rows));
  return 0;
}

/**
 * Loads a config as the gateway does (policy errors reject it with their lines) and prints the
 * policy warnings to stderr; returns null when the config is unusable.
 */
function loadOrReport(file: string): GatewayConfig | null {
  try {
    const { config, warnings } = loadGatewayConfig(file);
    for (const w of warnings) console.error(`  warning  ${w.path}: ${w.message}`);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return null;
  }
}

function callerFrom(config: GatewayConfig, options: ExplainOptions): CallerSpec | null | string {
  const list = (text: string | undefined) =>
    text === undefined ? [] : text.split(",").map((s) => s.trim()).filter(Boolean);
  if (options.identity !== undefined) {
    if (options.roles !== undefined) return "give --identity or --roles, not both";
    const named = namedCaller(config, options.identity);
    if (!named) {
      const known = knownCallerNames(config).join(", ") || "none declared";
      return `unknown identity "${options.identity}" (known: ${known})`;
    }
    const scopes = options.scopes === undefined ? named.scopes : list(options.scopes);
    return { ...named, scopes, tenant: options.tenant ?? named.tenant };
  }
  const adHoc = [options.roles, options.scopes, options.tenant].some((v) => v !== undefined);
  if (!adHoc) return null;
  return {
    name: null,
    roles: list(options.roles),
    scopes: list(options.scopes),
    tenant: options.tenant ?? null,
  };
}

function parseHeaders(lines: readonly string[]): Record<string, string> | string {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return `--header "${line}" is not "name: value"`;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

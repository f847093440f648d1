import { loadConfigFile } from "../config/load.ts";
import type { GatewayConfig } from "../config/schema.ts";
import { compilePolicy } from "../policy/compile.ts";
import type { PolicyProblem } from "../policy/problems.ts";

/**
 * Loads a config the way the gateway runs it: schema, cross references, and the policy
 * compiled to decision tables. A policy error rejects the file (with its line) like a schema
 * error; warnings come back for `check` and the startup log.
 */
export function loadGatewayConfig(file: string): {
  config: GatewayConfig;
  warnings: readonly PolicyProblem[];
} {
  let warnings: readonly PolicyProblem[] = [];
  const config = loadConfigFile(file, process.env, (candidate) => {
    const compiled = compilePolicy(candidate);
    warnings = compiled.warnings;
    return compiled.errors;
  });
  return { config, warnings };
}

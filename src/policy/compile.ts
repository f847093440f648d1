import type { GatewayConfig } from "../config/schema.ts";
import { analyzePolicy } from "./analyze.ts";
import { buildPolicyModel } from "./model.ts";
import { ProblemList, type PolicyProblem } from "./problems.ts";
import { buildTables, type DecisionTables } from "./tables.ts";

/** A config's policy as decision tables, with what compilation found wrong or suspicious. */
export interface CompiledPolicy {
  readonly tables: DecisionTables;
  /** Printed by `portcullis check`; the config still loads. */
  readonly warnings: readonly PolicyProblem[];
  /** The config must be rejected: some rule refers to something that does not exist. */
  readonly errors: readonly PolicyProblem[];
}

const compiled = new WeakMap<GatewayConfig, CompiledPolicy>();

/**
 * Compiles the routes' access settings and the policy section into decision tables. Runs once
 * per config object (load, reload, check, explain); later calls with the same object return the
 * same tables, so the load step and every route's check share one compilation.
 */
export function compilePolicy(config: GatewayConfig): CompiledPolicy {
  const cached = compiled.get(config);
  if (cached) return cached;

  const problems = new ProblemList();
  const model = buildPolicyModel(config, problems);
  analyzePolicy(config, model, problems);
  const result = {
    tables: buildTables(model),
    warnings: problems.warnings,
    errors: problems.errors,
  };
  compiled.set(config, result);
  return result;
}

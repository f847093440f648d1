import type { GatewayConfig } from "../config/schema.ts";
import { explainRequest, type Explanation } from "./explain.ts";
import { knownCallerNames, namedCaller, type CallerSpec } from "./named-callers.ts";
import type { PolicyTestCase } from "./policy-test-file.ts";

export interface PolicyTestResult {
  readonly index: number;
  readonly name: string;
  readonly passed: boolean;
  /** Why it failed, in one line; empty when it passed. */
  readonly failure: string;
  readonly explanation: Explanation | null;
}

/**
 * Runs a table of expectations through explain, the same path a live request takes through the
 * router and decision tables. A case fails on any expectation that does not hold.
 */
export function runPolicyTests(
  config: GatewayConfig,
  cases: readonly PolicyTestCase[],
): PolicyTestResult[] {
  return cases.map((testCase, index) => {
    const name = testCase.name ?? `${testCase.method} ${testCase.path}`;
    const caller = callerOf(config, testCase);
    if (caller === undefined) {
      const known = knownCallerNames(config).join(", ") || "none";
      const failure = `unknown identity "${testCase.identity}" (known: ${known})`;
      return { index, name, passed: false, failure, explanation: null };
    }
    const explanation = explainRequest(config, {
      method: testCase.method,
      target: testCase.path,
      host: testCase.host,
      caller,
      headers: testCase.headers,
    });
    const failure = mismatch(testCase, explanation);
    return { index, name, passed: failure === "", failure, explanation };
  });
}

/** The case's caller; undefined when it names an identity nobody declared. */
function callerOf(config: GatewayConfig, testCase: PolicyTestCase): CallerSpec | null | undefined {
  if (testCase.anonymous) return null;
  if (testCase.identity !== undefined) return namedCaller(config, testCase.identity) ?? undefined;
  const spec = testCase.caller!;
  return { name: null, roles: spec.roles, scopes: spec.scopes, tenant: spec.tenant ?? null };
}

function mismatch(testCase: PolicyTestCase, got: Explanation): string {
  const by = got.ruleId ? ` by ${got.ruleId}` : "";
  const actual = `${got.decision} (${got.status} ${got.reason}${by})`;
  if (got.decision !== testCase.expect) return `expected ${testCase.expect}, got ${actual}`;
  if (testCase.status !== undefined && got.status !== testCase.status) {
    return `expected status ${testCase.status}, got ${actual}`;
  }
  if (testCase.reason !== undefined && got.reason !== testCase.reason) {
    return `expected reason ${testCase.reason}, got ${actual}`;
  }
  if (testCase.rule !== undefined && got.ruleId !== testCase.rule) {
    return `expected rule ${testCase.rule}, got ${actual}`;
  }
  return "";
}

/** One line per case and a summary line. */
export function formatPolicyTestResults(results: readonly PolicyTestResult[]): string {
  const lines = results.map((r) => {
    const number = String(r.index + 1).padStart(3);
    if (!r.passed) return `FAIL ${number}  ${r.name}: ${r.failure}`;
    const e = r.explanation!;
    return `ok   ${number}  ${r.name}: ${e.decision}${e.ruleId ? ` by ${e.ruleId}` : ""}`;
  });
  const failed = results.filter((r) => !r.passed).length;
  lines.push(`${results.length} cases: ${results.length - failed} passed, ${failed} failed`);
  return lines.join("\n");
}

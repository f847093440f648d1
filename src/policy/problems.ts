/**
 * Something compilation found in a policy. Errors make the config unusable (a rule naming a
 * route that does not exist protects nothing); warnings are printed by `portcullis check`.
 * `segments` locate the offending config node so the loader can add its line.
 */
export interface PolicyProblem {
  readonly severity: "error" | "warning";
  readonly segments: readonly (string | number)[];
  /** Dotted config path, e.g. `policy.roles.agent.allow[0].routes[1]`. */
  readonly path: string;
  readonly message: string;
}

export type ConfigSegments = readonly (string | number)[];

/** Collects problems in the order they were found. */
export class ProblemList {
  readonly errors: PolicyProblem[] = [];
  readonly warnings: PolicyProblem[] = [];

  error(segments: ConfigSegments, message: string): void {
    this.errors.push({ severity: "error", segments, path: formatPath(segments), message });
  }

  warn(segments: ConfigSegments, message: string): void {
    this.warnings.push({ severity: "warning", segments, path: formatPath(segments), message });
  }
}

/** `["policy", "deny", 0, "routes"]` → `policy.deny[0].routes`, as config errors print paths. */
export function formatPath(segments: ConfigSegments): string {
  return segments
    .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join("");
}

/** The three ways a request ends, as counted; index into a route/status cell. */
const decisionIndex = { allow: 0, deny: 1, error: 2 } as const;
export type CountedDecision = keyof typeof decisionIndex;
const decisions = Object.keys(decisionIndex) as CountedDecision[];

/**
 * Requests by route, status and decision, kept in nested maps of small arrays so that the
 * request path does two map lookups and an increment, and allocates only on the first request
 * of a new route/status pair. prom-client reads it at scrape time.
 */
export class RequestCounts {
  private readonly routes = new Map<string, Map<number, Float64Array>>();

  add(route: string, status: number, decision: CountedDecision): void {
    let statuses = this.routes.get(route);
    if (statuses === undefined) {
      statuses = new Map();
      this.routes.set(route, statuses);
    }
    let cell = statuses.get(status);
    if (cell === undefined) {
      cell = new Float64Array(3);
      statuses.set(status, cell);
    }
    cell[decisionIndex[decision]]!++;
  }

  /** Calls `visit` once per non-zero series. */
  forEach(visit: (route: string, status: number, decision: CountedDecision, n: number) => void) {
    for (const [route, statuses] of this.routes) {
      for (const [status, cell] of statuses) {
        for (let i = 0; i < 3; i++) if (cell[i]! > 0) visit(route, status, decisions[i]!, cell[i]!);
      }
    }
  }
}

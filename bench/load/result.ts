import type { LatencySummary } from "./histogram.ts";

/** What one bounded load run measured, whichever generator produced it. */
export interface LoadResult extends LatencySummary {
  readonly generator: "wrk" | "bundled";
  readonly connections: number;
  readonly durationS: number;
  /** Completed responses per second over the measured window. */
  readonly rps: number;
  /** Responses with a status outside 200–399. */
  readonly statusErrors: number;
  /** Refused or reset connections, short reads, timeouts. */
  readonly socketErrors: number;
  /** CPU time the load generator itself used, as a percentage of one core. */
  readonly loaderCpuPct: number;
}

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly durationMs: number;
  /** Extra request headers, e.g. credentials for the checks under test. */
  readonly headers: Readonly<Record<string, string>>;
  /** A response slower than this counts as an error and its connection is replaced. */
  readonly timeoutMs: number;
}

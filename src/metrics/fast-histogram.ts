import type { Registry } from "prom-client";

/** A sample as prom-client's registry formats it. */
interface Sample {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * A histogram without labels for the request path: `observe` is a bucket search over a
 * Float64Array and three additions. prom-client's Histogram hashes a label object on every
 * observation, which measured a few percent of the gateway's CPU per proxied request. The
 * exposition is the same as prom-client's (cumulative `_bucket{le=…}`, `_sum`, `_count`):
 * the object is registered through `Registry.registerMetric`, which formats what `get` returns.
 */
export class FastHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    this.counts = new Float64Array(upperBounds.length + 1);
    registry.registerMetric(this as never);
  }

  observe(value: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** Read by the registry at scrape time. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    for (let i = 0; i < this.upperBounds.length; i++) {
      cumulative += this.counts[i]!;
      values.push({ metricName: bucket, labels: { le: this.upperBounds[i]! }, value: cumulative });
    }
    cumulative += this.counts[this.upperBounds.length]!;
    values.push({ metricName: bucket, labels: { le: "+Inf" }, value: cumulative });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator,
      values };
  }
}

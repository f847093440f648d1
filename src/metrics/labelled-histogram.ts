import type { Registry } from "prom-client";

/** A sample in the shape prom-client's registry formats (`sharedLabels` follow `le`). */
interface Sample {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly sharedLabels?: Record<string, string>;
  readonly value: number;
}

/** Bucket counts, sum and count of one label value. */
interface Series {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram with one label for the request path (per-check latency). prom-client's Histogram
 * validates and hashes a label object on every observation, which measured about a microsecond
 * of CPU per request on routes with checks even though only one request in 16 is timed; here
 * an observation is one map lookup, a bucket search and three additions. The exposition is
 * the one prom-client's Histogram gives (`_bucket{le=…,label=…}` cumulative, `_sum`, `_count`,
 * one series per label value seen, nothing before the first observation).
 */
export class LabelledHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  observe(labelValue: string, value: number): void {
    let series = this.series.get(labelValue);
    if (series === undefined) {
      series = { counts: new Float64Array(this.upperBounds.length + 1), sum: 0, count: 0 };
      this.series.set(labelValue, series);
    }
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  reset(): void {
    this.series = new Map();
  }

  /** Read by the registry's text exposition. */
  getForPromString() {
    return this.collect(false);
  }

  /** Read by `getMetricsAsJSON`: labels merged, as prom-client's Histogram gives them. */
  get() {
    return this.collect(true);
  }

  private collect(merged: boolean) {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    const sample = (metricName: string, own: Record<string, string | number>, label: string,
      value: number): Sample => {
      const shared = { [this.labelName]: label };
      return merged
        ? { metricName, labels: { ...own, ...shared }, value }
        : { metricName, labels: own, sharedLabels: shared, value };
    };
    for (const [label, series] of this.series) {
      let cumulative = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push(sample(bucket, { le: this.upperBounds[i]! }, label, cumulative));
      }
      values.push(sample(bucket, { le: "+Inf" }, label, series.count));
      values.push(sample(`${this.name}_sum`, {}, label, series.sum));
      values.push(sample(`${this.name}_count`, {}, label, series.count));
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator,
      values };
  }
}

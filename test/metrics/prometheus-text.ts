/** One sample of a scrape. */
export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const labelSet = '((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*",?)*)';
const metricName = "([a-zA-Z_:][a-zA-Z0-9_:]*)";
const sampleLine = new RegExp(`^${metricName}(?:\\{${labelSet}\\})? (\\S+)(?: -?\\d+)?$`);
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"/g;
const metaLine = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/;
const types = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/**
 * Parses Prometheus text exposition format 0.0.4 strictly enough for a test: every line must
 * be a HELP/TYPE comment or a sample, every sample's family must have been TYPEd, and values
 * must be numbers. Throws with the offending line otherwise.
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const typed = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = metaLine.exec(line);
    if (meta) {
      if (meta[1] === "TYPE" && !types.has(meta[3] ?? "")) throw new Error(`bad TYPE: ${line}`);
      if (meta[1] === "TYPE") typed.set(meta[2]!, meta[3]!);
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const name = match[1]!;
    const family = name.replace(/_(bucket|sum|count)$/, "");
    if (!typed.has(name) && !typed.has(family)) throw new Error(`sample without TYPE: ${line}`);
    const value = Number(match[3] === "+Inf" ? Infinity : match[3]);
    if (Number.isNaN(value) && match[3] !== "NaN") throw new Error(`bad value: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(labelPair)) labels[pair[1]!] = pair[2]!;
    samples.push({ name, labels, value });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `labels`. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

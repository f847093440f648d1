import type { MicroCaseResult } from "./micro-result.ts";

/**
 * Size series in micro results: cases whose names differ only in their last number
 * ("allow 10 rules", "allow 100000 rules") measure one operation at growing sizes. A series is
 * flat when its largest size costs at most `flatRatio` times its smallest.
 */

export const flatRatio = 1.5;

export interface SizeSeries {
  readonly file: string;
  /** The case name with its size replaced by N, e.g. "allow N rules". */
  readonly name: string;
  readonly smallest: { readonly size: number; readonly avgNs: number };
  readonly largest: { readonly size: number; readonly avgNs: number };
  readonly ratio: number;
  readonly flat: boolean;
}

const sizePattern = /^(.*?)(\d[\d,_]*(?:\.\d+)?)(\s*[kKmM]\b)?(?!.*\d)(.*)$/;

function splitSize(name: string): { key: string; size: number } | null {
  const match = sizePattern.exec(name);
  if (!match) return null;
  const unit = (match[3] ?? "").trim().toLowerCase();
  const scale = unit === "k" ? 1e3 : unit === "m" ? 1e6 : 1;
  const size = Number(match[2]!.replace(/[,_]/g, "")) * scale;
  return Number.isFinite(size) ? { key: `${match[1]}N${match[4]}`, size } : null;
}

export function findSeries(file: string, cases: readonly MicroCaseResult[]): SizeSeries[] {
  const groups = new Map<string, { size: number; avgNs: number }[]>();
  for (const c of cases) {
    const split = c.error ? null : splitSize(c.name);
    if (!split) continue;
    const list = groups.get(split.key) ?? [];
    list.push({ size: split.size, avgNs: c.avgNs });
    groups.set(split.key, list);
  }
  const series: SizeSeries[] = [];
  for (const [name, points] of groups) {
    const sizes = new Set(points.map((p) => p.size));
    if (sizes.size < 2) continue;
    points.sort((a, b) => a.size - b.size);
    const smallest = points[0]!;
    const largest = points[points.length - 1]!;
    const ratio = largest.avgNs / smallest.avgNs;
    series.push({ file, name, smallest, largest, ratio, flat: ratio <= flatRatio });
  }
  return series;
}

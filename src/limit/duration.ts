/** Units a limit's `per` may be written in, in milliseconds. */
const unitMs: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Matches `500ms`, `1s`, `60s`, `1.5m`, `1h`, `1d`. */
export const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds in a duration such as `60s`; null when the text is not one. */
export function parseDurationMs(text: string): number | null {
  const match = durationPattern.exec(text);
  if (!match) return null;
  const ms = Number(match[1]) * unitMs[match[2]!]!;
  return ms > 0 && Number.isFinite(ms) ? ms : null;
}

const unitMs: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `45s`, `90m`, `12h`, `30d`, `2w` (one number, one unit) into milliseconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * unitMs[match[2]!]!;
}

/** Parses an ISO 8601 time with offset (`2027-01-31T00:00:00Z`) into Unix milliseconds. */
export function parseIsoTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text))
    return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

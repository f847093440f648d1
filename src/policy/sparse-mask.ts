/**
 * Bit sets over interned role and scope ids, in two shapes chosen so a decision costs the same
 * with ten roles or a hundred thousand:
 *
 * - A caller's set is sparse: `[word, bits, word, bits, ...]` with ascending word numbers and
 *   only non-zero words. A caller holds a handful of roles, so this is one to three pairs.
 * - A table row (who may pass one route and method) is dense over the word range its roles
 *   fall into: `words[start + w - lo]` for `lo <= w < hi`.
 *
 * A test walks the caller's pairs and indexes the row: its cost follows the caller's roles,
 * never the number of roles or rules in the policy.
 */

/** Dense rows, one per table cell, packed into one array. */
export interface MaskRows {
  readonly start: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly words: Uint32Array;
}

/** Builds a sparse set from bit ids; duplicates are harmless. */
export function sparseOf(ids: Iterable<number>): Uint32Array {
  const words = new Map<number, number>();
  for (const id of ids) {
    const word = id >>> 5;
    words.set(word, ((words.get(word) ?? 0) | (1 << (id & 31))) >>> 0);
  }
  const sorted = [...words.keys()].sort((a, b) => a - b);
  const pairs = new Uint32Array(sorted.length * 2);
  sorted.forEach((word, i) => {
    pairs[i * 2] = word;
    pairs[i * 2 + 1] = words.get(word)!;
  });
  return pairs;
}

/** Packs one id set per row into dense ranges; an empty set gives an empty range. */
export function packRows(rows: readonly (ReadonlySet<number> | undefined)[]): MaskRows {
  const start = new Int32Array(rows.length);
  const lo = new Int32Array(rows.length);
  const hi = new Int32Array(rows.length);
  let total = 0;
  rows.forEach((ids, row) => {
    if (!ids || ids.size === 0) return;
    let min = Infinity;
    let max = -1;
    for (const id of ids) {
      if (id < min) min = id;
      if (id > max) max = id;
    }
    start[row] = total;
    lo[row] = min >>> 5;
    hi[row] = (max >>> 5) + 1;
    total += hi[row]! - lo[row]!;
  });

  const words = new Uint32Array(total);
  rows.forEach((ids, row) => {
    if (!ids) return;
    for (const id of ids) {
      const at = start[row]! + (id >>> 5) - lo[row]!;
      words[at] = (words[at]! | (1 << (id & 31))) >>> 0;
    }
  });
  return { start, lo, hi, words };
}

/** Whether the caller holds any id of the row. */
export function intersects(caller: Uint32Array, rows: MaskRows, row: number): boolean {
  return firstCommonId(caller, rows, row) >= 0;
}

/** The lowest id both hold, or -1. Used to name the rule that decided. */
export function firstCommonId(caller: Uint32Array, rows: MaskRows, row: number): number {
  const lo = rows.lo[row]!;
  const hi = rows.hi[row]!;
  const base = rows.start[row]! - lo;
  for (let i = 0; i < caller.length; i += 2) {
    const word = caller[i]!;
    if (word < lo) continue;
    if (word >= hi) return -1;
    const common = rows.words[base + word]! & caller[i + 1]!;
    if (common !== 0) return word * 32 + (31 - Math.clz32(common & -common));
  }
  return -1;
}

/** Whether the caller holds every id of `required` (both sparse). */
export function containsAll(caller: Uint32Array, required: Uint32Array): boolean {
  let c = 0;
  for (let r = 0; r < required.length; r += 2) {
    const word = required[r]!;
    while (c < caller.length && caller[c]! < word) c += 2;
    if (c >= caller.length || caller[c] !== word) return false;
    const bits = required[r + 1]!;
    if ((caller[c + 1]! & bits) !== bits) return false;
  }
  return true;
}

/** Whether two sparse sets share an id. */
export function sparseIntersects(a: Uint32Array, b: Uint32Array): boolean {
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    while (j < b.length && b[j]! < a[i]!) j += 2;
    if (j >= b.length) return false;
    if (b[j] === a[i] && (b[j + 1]! & a[i + 1]!) !== 0) return true;
  }
  return false;
}

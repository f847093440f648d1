import { describe, expect, test } from "bun:test";
import {
  containsAll,
  firstCommonId,
  packRows,
  sparseIntersects,
  sparseOf,
} from "../../src/policy/sparse-mask.ts";

describe("sparse role masks", () => {
  test("a caller set keeps only non-zero words, ascending", () => {
    expect([...sparseOf([70, 3, 31, 3, 99_999])]).toEqual([0, 0x80000008, 2, 64, 3124, 2 ** 31]);
    expect(sparseOf([]).length).toBe(0);
  });

  test("rows are dense over their own word range only", () => {
    const rows = packRows([new Set([64, 95]), undefined, new Set([100_000]), new Set()]);
    const ranges = [rows.lo[0], rows.hi[0], rows.lo[2], rows.hi[2], rows.hi[3]];
    expect(ranges).toEqual([2, 3, 3125, 3126, 0]);
    expect(rows.words.length).toBe(2);
  });

  test("the first common id is found across words and outside a row's range is none", () => {
    const rows = packRows([new Set([5, 40, 100_000]), new Set([7])]);
    expect(firstCommonId(sparseOf([40, 100_000]), rows, 0)).toBe(40);
    expect(firstCommonId(sparseOf([100_000]), rows, 0)).toBe(100_000);
    expect(firstCommonId(sparseOf([6, 41]), rows, 0)).toBe(-1);
    expect(firstCommonId(sparseOf([7]), rows, 0)).toBe(-1);
    expect(firstCommonId(sparseOf([7]), rows, 1)).toBe(7);
    expect(firstCommonId(sparseOf([]), rows, 1)).toBe(-1);
  });

  test("bit 31 of a word counts like any other", () => {
    const rows = packRows([new Set([31, 63])]);
    expect(firstCommonId(sparseOf([63]), rows, 0)).toBe(63);
  });

  test("containsAll needs every required id; sparseIntersects needs one", () => {
    const caller = sparseOf([1, 33, 64]);
    expect(containsAll(caller, sparseOf([1, 64]))).toBe(true);
    expect(containsAll(caller, sparseOf([1, 2]))).toBe(false);
    expect(containsAll(caller, sparseOf([96]))).toBe(false);
    expect(containsAll(sparseOf([]), sparseOf([]))).toBe(true);
    expect(sparseIntersects(caller, sparseOf([2, 33]))).toBe(true);
    expect(sparseIntersects(caller, sparseOf([2, 34, 200]))).toBe(false);
  });
});

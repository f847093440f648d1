import { methodColumn, routeMethods } from "../routing/route-set.ts";

/**
 * The methods a policy can name are the methods a route can list, in the same columns, so a
 * route's method bit and its decision-table column are one number. Any other method has no
 * column and is denied by default.
 */
export const policyMethods = routeMethods;

export type PolicyMethod = (typeof policyMethods)[number];

/** Columns per route in the decision tables. */
export const methodCount = policyMethods.length;

/** Column of a request method, or -1 for a method no policy can grant. */
export const methodIndexOf: (method: string) => number = methodColumn;

/**
 * Columns a grant or denial covers, as a bit mask. RFC 9110 §9.3.2 defines HEAD as GET without
 * content, so whatever is said about GET is said about HEAD as well.
 */
export function methodMaskOf(methods: readonly string[]): number {
  let mask = 0;
  for (const method of methods) {
    const index = methodIndexOf(method);
    if (index >= 0) mask |= 1 << index;
  }
  return (mask & 1) !== 0 ? mask | 2 : mask;
}

/** The columns of a mask, ascending. */
export function columnsOf(mask: number): number[] {
  const columns: number[] = [];
  for (let column = 0; column < methodCount; column++) {
    if ((mask & (1 << column)) !== 0) columns.push(column);
  }
  return columns;
}

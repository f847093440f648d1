/**
 * The methods a policy can name, each with a fixed column in the decision tables. A request
 * with any other method has no column and is denied by default.
 */
export const policyMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export type PolicyMethod = (typeof policyMethods)[number];

/** Columns per route in the decision tables. */
export const methodCount = policyMethods.length;

/** Column of a request method, or -1 for a method no policy can grant. */
export function methodIndexOf(method: string): number {
  // A switch on string constants compiles to a length and character dispatch in JSC. Apart
  // from the tenant comparison, this is the only text the per-request decision looks at.
  switch (method) {
    case "GET":
      return 0;
    case "HEAD":
      return 1;
    case "POST":
      return 2;
    case "PUT":
      return 3;
    case "PATCH":
      return 4;
    case "DELETE":
      return 5;
    case "OPTIONS":
      return 6;
    default:
      return -1;
  }
}

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

/**
 * RateLimit header fields in the structured-field form of draft-ietf-httpapi-ratelimit-headers
 * (-10/-11): `RateLimit-Policy: "name";q=<quota>;w=<window s>` and
 * `RateLimit: "name";r=<remaining>;t=<seconds>`. Items are RFC 8941 Strings with parameters.
 */

/** An RFC 8941 §3.3.3 String: quotes, with `"` and `\` escaped. Limit ids never need it. */
export function structuredString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The quota a limit advertises: `q` units per `w` seconds (draft §3.1). */
export interface PolicyShape {
  readonly quota: number;
  readonly windowSec: number;
}

/**
 * For `rate` per `per` the policy is exactly that. For `ratePerSec` it is the burst over the time
 * the bucket takes to refill from empty, so `q / w` is never more than the refill rate.
 */
export function policyShape(
  rate: number | undefined,
  perMs: number,
  ratePerSec: number,
  burst: number,
): PolicyShape {
  // The draft has no sub-second windows (§3.1.3); such rates use the burst form below.
  if (rate !== undefined && perMs % 1000 === 0) return { quota: rate, windowSec: perMs / 1000 };
  if (Number.isInteger(ratePerSec)) return { quota: ratePerSec, windowSec: 1 };
  return { quota: burst, windowSec: Math.max(1, Math.ceil(burst / ratePerSec)) };
}

export function policyItem(name: string, shape: PolicyShape): string {
  return `${structuredString(name)};q=${shape.quota};w=${shape.windowSec}`;
}

/** `t` is the whole seconds until the bucket is full again (draft §4.1.2: effective window). */
export function serviceLimitItem(name: string, remaining: number, resetMs: number): string {
  return `${structuredString(name)};r=${remaining};t=${Math.ceil(resetMs / 1000)}`;
}

/** RFC 9110 §10.2.3 delay-seconds, at least 1 so a client never retries in a tight loop. */
export function retryAfterSeconds(retryAfterMs: number): number {
  const seconds = Math.ceil(retryAfterMs / 1000);
  return seconds < 1 ? 1 : seconds;
}

import { describe, expect, test } from "bun:test";
import { policyItem, policyShape, retryAfterSeconds } from "../../src/limit/headers.ts";
import { serviceLimitItem } from "../../src/limit/headers.ts";

describe("RateLimit header fields (draft-ietf-httpapi-ratelimit-headers)", () => {
  test("a rate per window is advertised as that quota and window", () => {
    expect(policyItem("per-ip", policyShape(5, 60_000, 5 / 60, 5))).toBe('"per-ip";q=5;w=60');
  });

  test("a fractional per-second rate is advertised as burst over the time to refill it", () => {
    expect(policyShape(undefined, 1000, 0.5, 10)).toEqual({ quota: 10, windowSec: 20 });
    expect(policyShape(undefined, 1000, 20, 40)).toEqual({ quota: 20, windowSec: 1 });
  });

  test("sub-second windows are restated per second (the draft has no sub-second windows)", () => {
    expect(policyShape(10, 500, 20, 10)).toEqual({ quota: 20, windowSec: 1 });
    expect(policyShape(3, 1500, 2, 3)).toEqual({ quota: 2, windowSec: 1 });
  });

  test("the service limit item carries remaining quota and whole seconds to full", () => {
    expect(serviceLimitItem("per-ip", 3, 24_001)).toBe('"per-ip";r=3;t=25');
    expect(serviceLimitItem("per-ip", 0, 0)).toBe('"per-ip";r=0;t=0');
  });

  test("names are structured-field strings", () => {
    expect(policyItem('a"b\\c', { quota: 1, windowSec: 1 })).toBe('"a\\"b\\\\c";q=1;w=1');
  });

  test("Retry-After is whole seconds, at least 1", () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(0)).toBe(1);
  });
});

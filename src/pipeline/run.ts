import type { RequestContext } from "../server/context.ts";
import type { Check } from "./check.ts";
import type { Denial, Verdict } from "./verdict.ts";

/**
 * Runs a route's checks in order and returns the first denial, or null when all let the request
 * through. Stays synchronous until a check returns a promise, so a fully synchronous chain costs
 * no microtask.
 */
export function runChecks(
  checks: readonly Check[],
  ctx: RequestContext,
): Denial | null | Promise<Denial | null> {
  for (let i = 0; i < checks.length; i++) {
    const verdict = checks[i]!(ctx);
    if (verdict instanceof Promise) return finishAsync(verdict, checks, ctx, i);
    if (verdict.kind === "deny") return verdict;
  }
  return null;
}

async function finishAsync(
  pending: Promise<Verdict>,
  checks: readonly Check[],
  ctx: RequestContext,
  index: number,
): Promise<Denial | null> {
  const first = await pending;
  if (first.kind === "deny") return first;
  for (let i = index + 1; i < checks.length; i++) {
    const verdict = await checks[i]!(ctx);
    if (verdict.kind === "deny") return verdict;
  }
  return null;
}

/**
 * The same as runChecks, timing each check for the per-check latency histograms. Used on a
 * sample of requests only, so the clock reads stay off most of the hot path. Synchronous like
 * runChecks until a check returns a promise.
 */
export function runChecksTimed(
  checks: readonly Check[],
  ids: readonly string[],
  ctx: RequestContext,
  observe: (checkId: string, durationMs: number) => void,
): Denial | null | Promise<Denial | null> {
  for (let i = 0; i < checks.length; i++) {
    const started = performance.now();
    const verdict = checks[i]!(ctx);
    if (verdict instanceof Promise) {
      return finishTimed(verdict, started, checks, ids, ctx, observe, i);
    }
    observe(ids[i]!, performance.now() - started);
    if (verdict.kind === "deny") return verdict;
  }
  return null;
}

async function finishTimed(
  pending: Promise<Verdict>,
  started: number,
  checks: readonly Check[],
  ids: readonly string[],
  ctx: RequestContext,
  observe: (checkId: string, durationMs: number) => void,
  index: number,
): Promise<Denial | null> {
  const first = await pending;
  observe(ids[index]!, performance.now() - started);
  if (first.kind === "deny") return first;
  for (let i = index + 1; i < checks.length; i++) {
    const begun = performance.now();
    const verdict = await checks[i]!(ctx);
    observe(ids[i]!, performance.now() - begun);
    if (verdict.kind === "deny") return verdict;
  }
  return null;
}

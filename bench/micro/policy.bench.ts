/**
 * Policy decision cost per call, with 10, 1,000 and 100,000 rules. Run:
 * `bun bench/micro/policy.bench.ts`. Each call is the authz check as the request path runs it
 * (method column, cached caller mask, table lookups, context writes) over a rotating mix of
 * routes and callers spread across the whole table. The ratio against the 10-rule policy is
 * the number to watch: it should stay near 1. `POLICY_BENCH_ROUNDS` sets the rounds (5).
 */
import { do_not_optimize, measure } from "mitata";
import { createAuthzCheck } from "../../src/checks/authz/policy-check.ts";
import { gatewayConfigSchema, type GatewayConfig } from "../../src/config/schema.ts";
import type { Identity } from "../../src/identity/identity.ts";
import type { Check } from "../../src/pipeline/check.ts";
import { compilePolicy } from "../../src/policy/compile.ts";
import type { RequestContext } from "../../src/server/context.ts";

const methods = ["GET", "POST", "PUT", "DELETE"] as const;
const sizes = [10, 1_000, 100_000] as const;

/** Deterministic pseudo-random numbers, so every run builds the same policy. */
function lcg(seed: number) {
  let state = seed >>> 0;
  return (bound: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % bound;
  };
}

/**
 * `rules` grants (ten per role) over `rules / 100` routes (at least 10), plus one deny rule per
 * hundred grants. Role `r0` is granted GET on every route so each request mix has allows.
 */
function policyConfig(rules: number): GatewayConfig {
  const random = lcg(rules);
  const routeCount = Math.max(10, Math.floor(rules / 100));
  const roleCount = Math.max(1, Math.floor(rules / 10));
  const routes = Array.from({ length: routeCount }, (_, i) => ({
    id: `route${i}`,
    path: `/svc${i}/*`,
    upstream: "u",
  }));
  const roles: Record<string, { allow: object[] }> = {};
  for (let r = 0; r < roleCount; r++) {
    roles[`r${r}`] = {
      allow: Array.from({ length: 10 }, () => ({
        routes: [`route${random(routeCount)}`],
        methods: [methods[random(methods.length)]],
      })),
    };
  }
  roles.r0!.allow[0] = { routes: routes.map((r) => r.id), methods: ["GET"] };
  const deny = Array.from({ length: Math.max(1, rules / 100) }, (_, i) => ({
    id: `d${i}`,
    roles: [`r${random(roleCount)}`],
    routes: [`route${random(routeCount)}`],
  }));
  return gatewayConfigSchema.parse({
    upstreams: { u: { targets: ["http://127.0.0.1:9"] } },
    routes,
    policy: { roles, deny },
  });
}

function caller(roles: string[]): Identity {
  return { subject: "s", kind: "api-key", credentialId: "k", tenant: null, roles, scopes: [],
    actorChain: [], issuer: null };
}

function context(method: string, identity: Identity): RequestContext {
  return {
    requestId: "r", request: new Request("http://gw.test/"), method, host: "gw.test", path: "/",
    query: "", peerAddress: "127.0.0.1", clientAddress: "127.0.0.1", startedAt: 0,
    receivedAtMs: 0, route: null, params: null, identity, responseHeaders: null, ruleId: null,
    reason: null, limitOutcome: null, reportOnly: null, upstreamTarget: null, upstreamError: null,
  };
}

interface Probe {
  readonly check: Check;
  readonly ctx: RequestContext;
}

/**
 * 64 requests over routes across the table, from callers holding three roles spread over the id
 * space. Allowed probes use GET (granted to `r0` everywhere); denied ones use PATCH, which no
 * rule grants, so the decision walks the caller's mask and finds nothing.
 */
function probes(config: GatewayConfig, kind: "allow" | "deny"): Probe[] {
  const { tables, errors } = compilePolicy(config);
  if (errors.length > 0) throw new Error(errors[0]!.message);
  const random = lcg(7);
  const roleCount = tables.roleNames.length;
  const checks = config.routes.map((route) => createAuthzCheck(route, tables)!);
  const mix: Probe[] = [];
  while (mix.length < 64) {
    const check = checks[random(checks.length)]!;
    const roles = ["r0", `r${random(roleCount)}`, `r${roleCount - 1 - random(roleCount)}`];
    const ctx = context(kind === "allow" ? "GET" : "PATCH", caller(roles));
    // Keep only probes that decide as intended (a deny rule may hit one of the roles).
    if ((check(ctx) as { kind: string }).kind === kind) mix.push({ check, ctx });
  }
  return mix;
}

const compileMs = new Map<number, number>();
const tableKiB = new Map<number, number>();
const mixes: { name: string; mix: Probe[] }[] = [];
for (const size of sizes) {
  const config = policyConfig(size);
  const started = performance.now();
  const { tables } = compilePolicy(config);
  compileMs.set(size, performance.now() - started);
  const rowWords = tables.allow.words.length + tables.deny.words.length;
  tableKiB.set(size, Math.round((rowWords * 4 + tables.allow.start.length * 36) / 1024));
  for (const kind of ["allow", "deny"] as const) {
    mixes.push({ name: `${kind} ${size} rules`, mix: probes(config, kind) });
  }
}

// Every mix runs before any is measured, so the JIT has seen all table sizes and the first
// benchmark does not pay for tier-up alone.
for (let round = 0; round < 20_000; round++) {
  for (const { mix } of mixes) {
    const probe = mix[round & 63]!;
    probe.check(probe.ctx);
  }
}

// Interleaved rounds: each round measures every mix once, so load drift on a shared machine
// spreads over all sizes instead of landing on one; the median round is reported.
const rounds = Number(process.env.POLICY_BENCH_ROUNDS ?? 5);
const samples = new Map<string, number[]>(mixes.map((m) => [m.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const { name, mix } of mixes) {
    let i = 0;
    const stats = await measure(
      () => {
        const probe = mix[i++ & 63]!;
        do_not_optimize(probe.check(probe.ctx));
      },
      { min_cpu_time: 150e6 },
    );
    samples.get(name)!.push(stats.avg);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const avg = (name: string) => median(samples.get(name)!);
console.log(`policy decision, ns/call (median of ${rounds} interleaved rounds) and x 10 rules:`);
for (const kind of ["allow", "deny"]) {
  const base = avg(`${kind} 10 rules`);
  for (const size of sizes) {
    const ns = avg(`${kind} ${size} rules`);
    console.log(
      `  ${kind.padEnd(5)} ${String(size).padStart(7)} rules  ` +
        `${ns.toFixed(1).padStart(7)} ns/call  ` +
        `x${(ns / base).toFixed(2)}   (compile ${compileMs.get(size)!.toFixed(0)} ms, ` +
        `${tableKiB.get(size)} KiB of rows)`,
    );
  }
}

/**
 * The gateway configurations the harness measures, each one check added to a simpler one, and
 * the YAML-ready config object for each. Shapes follow `src/config/sections/*.ts`; a config the
 * schema refuses (a section not landed yet) is reported as not available, never faked.
 */

export type CheckName = "apiKey" | "jwt" | "policy" | "limit" | "audit" | "accessLog";

export interface GatewayConfigSpec {
  readonly id: string;
  readonly label: string;
  /** The config this one adds to; its marginal cost is the difference to it. */
  readonly base: string;
  readonly checks: ReadonlySet<CheckName>;
  /** Which credential the load presents. */
  readonly credential: "apiKey" | "jwt" | null;
  /** What the measured difference holds, for the report. */
  readonly note: string;
  /** Measured only in `--full` runs (or when named with --only). */
  readonly fullOnly?: boolean;
}

const spec = (
  id: string,
  label: string,
  base: string,
  checks: CheckName[],
  credential: GatewayConfigSpec["credential"],
  note: string,
): GatewayConfigSpec => ({ id, label, base, checks: new Set(checks), credential, note });

export const gatewayLadder: readonly GatewayConfigSpec[] = [
  spec("gw-pass", "Portcullis pass-through", "bun-proxy", [], null,
    "routing, path canonicalisation, header hygiene, pooled upstream client; no checks"),
  spec("gw-api-key", "+ API key", "gw-pass", ["apiKey"], "apiKey",
    "key parsed, hashed and looked up (cached); route also admits anonymous, so no authz runs"),
  spec("gw-jwt", "+ JWT", "gw-pass", ["jwt"], "jwt",
    "ES256 token from a static issuer key; verified tokens are cached by hash until exp"),
  spec("gw-policy", "+ policy", "gw-api-key", ["apiKey", "policy"], "apiKey",
    "role grant decided from the compiled tables (route requires role `reader`)"),
  spec("gw-limit", "+ rate limit", "gw-api-key", ["apiKey", "limit"], "apiKey",
    "one token bucket per consumer, never exhausted"),
  spec("gw-audit", "+ audit", "gw-pass", ["audit"], null,
    "one msgpack record per request, batched into the hash-chained audit file"),
  spec("gw-all", "all checks", "gw-pass", ["apiKey", "jwt", "policy", "limit", "audit"], "apiKey",
    "API key and JWT accepted (the load sends the key), policy, rate limit, audit"),
  {
    ...spec("gw-access-log", "+ access log", "gw-pass", ["accessLog"], null,
      "one pino access record per request to the log file (log.access: true)"),
    fullOnly: true,
  },
];

export interface ConfigEnvironment {
  readonly upstreamUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly identityStoreFile: string;
  readonly jwtIssuer: { readonly issuer: string; readonly audience: string; readonly jwk: object };
}

export const benchPath = "/v1/items/42";
export const policyProbePath = "/probe/policy/x";
export const limitProbePath = "/probe/limit/x";
export const benchRoles = { granted: "reader", missing: "bench-admin" };

/** A gateway config object for `spec`, ready to be written as YAML. */
export function buildGatewayConfig(spec: GatewayConfigSpec, env: ConfigEnvironment) {
  const has = (check: CheckName) => spec.checks.has(check);
  const authn = has("apiKey") || has("jwt");
  const auth = {
    // Without policy the route stays open to anonymous callers, so the authn check is measured
    // alone: a credential is still verified and a bad one still refused with 401.
    anonymous: !has("policy"),
    ...(has("apiKey") ? { apiKey: true } : {}),
    ...(has("jwt") ? { jwt: ["bench-idp"] } : {}),
  };
  const access = has("policy") ? { roles: [benchRoles.granted] } : undefined;
  const limits = has("limit")
    ? [{ id: "per-consumer", key: "consumer", rate: 1_000_000_000, per: "1s" }]
    : undefined;

  const route = (id: string, path: string, extra: Record<string, unknown> = {}) => ({
    id, path, upstream: "bench", auth, ...(access ? { access } : {}), ...extra,
  });
  const routes = [route("bench", "/v1/*", limits ? { limits } : {})];
  if (has("policy")) routes.push(route("probe-policy", "/probe/policy/*", {
    access: { roles: [benchRoles.missing] },
  }));
  if (has("limit")) routes.push(route("probe-limit", "/probe/limit/*", {
    limits: [{ id: "probe", key: "client-address", rate: 1, per: "1h" }],
  }));

  return {
    nodeId: "bench",
    dataDir: env.dataDir,
    listen: { host: "127.0.0.1", port: 0 },
    admin: { host: "127.0.0.1", port: 0 },
    // Info level: the access records are written at info (src/log/), warn would hide them.
    log: { level: has("accessLog") ? "info" : "warn", file: env.logFile, access: has("accessLog") },
    // Interleaved rounds leave each gateway idle for longer than the pool's 4 s default, which
    // would close its warm connections between measurements and reopen them (counted as new
    // upstream connections) at the start of each one. The bench upstream keeps idle connections
    // for 120 s, and Bun's fetch pool (the peer) for 300 s, so 60 s compares like with like.
    upstreams: { bench: { targets: [env.upstreamUrl], idleTimeoutMs: 60_000 } },
    routes,
    ...(authn ? { identity: identitySection(spec, env) } : {}),
    audit: { enabled: has("audit") },
  };
}

function identitySection(spec: GatewayConfigSpec, env: ConfigEnvironment) {
  return {
    store: { file: env.identityStoreFile },
    ...(spec.checks.has("jwt")
      ? {
          issuers: [{
            id: "bench-idp",
            issuer: env.jwtIssuer.issuer,
            audience: env.jwtIssuer.audience,
            keys: [{ jwk: env.jwtIssuer.jwk }],
            algorithms: ["ES256"],
          }],
        }
      : {}),
  };
}

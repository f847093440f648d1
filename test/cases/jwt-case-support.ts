import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { testAudience, testIssuer, type TestKey } from "../support/keys.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

/**
 * The shared setting of the JWT and API-key cases (cases.md §0.3–0.4): one recording upstream
 * `U1` and the trusted issuer `https://idp.example.test` with audience `gw-api`. Each case file
 * still states its own routes, because the routes are what the case is about.
 */

/** Issuer `idp` trusting `key` as a static JWK. */
export function staticIssuer(key: TestKey, overrides: Record<string, unknown> = {}) {
  return { id: "idp", issuer: testIssuer, audience: testAudience, keys: [{ jwk: key.publicJwk }],
    ...overrides };
}

/** An issuer whose keys come from a JWKS document: RS256 only, 60 s leeway (cases.md §(b)). */
export function jwksIssuer(id: string, jwksUrl: string, overrides: Record<string, unknown> = {}) {
  return { id, issuer: testIssuer, audience: testAudience, jwksUrl, algorithms: ["RS256"],
    leewaySec: 60, ...overrides };
}

/** A GET route to `u1`, the shape most cases declare. */
export function getRoute(id: string, path: string, auth: object, access: object) {
  return { id, path, methods: ["GET"], upstream: "u1", auth, access };
}

/** Starts `U1` and a gateway whose config adds `upstreams.u1` to what the case gives. */
export async function startCaseGateway(
  config: Record<string, unknown>,
): Promise<{ u1: RecordingUpstream; gw: GatewayProcess }> {
  const u1 = await startUpstream();
  const extraUpstreams = (config.upstreams ?? {}) as Record<string, unknown>;
  const gw = await startGateway({
    ...config,
    upstreams: { u1: { targets: [u1.url] }, ...extraUpstreams },
  });
  return { u1, gw };
}

/**
 * Header rewriting per request, as the proxy does it in place on the client's Headers
 * (src/proxy/headers.ts): hop-by-hop and untrusted fields removed, identity headers set, the
 * X-Forwarded-* fields and X-Request-Id written; and the response-side hop-by-hop scan.
 * Each case builds a fresh Headers (the request path gets one from Bun.serve), so the cost of
 * the rewrite is each "rewrite" case minus "copy only".
 *
 *   bun bench/micro/headers.bench.ts
 */
import { do_not_optimize, runMicro } from "./harness.ts";
import { isResponseHopByHop, prepareUpstreamHeaders } from "../../src/proxy/headers.ts";
import type { Identity } from "../../src/identity/identity.ts";
import type { RequestContext } from "../../src/server/context.ts";

const browserLike: [string, string][] = [
  ["host", "api.example.com"],
  ["user-agent", "partner-sdk/4.2 (linux; x64)"],
  ["accept", "application/json"],
  ["accept-encoding", "gzip, br"],
  ["x-api-key", "pk_live_4fQz9XbT2mKa_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG123456"],
  ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
];

/** A client trying every trick: hop-by-hop fields, a nominated field, spoofed identity. */
const hostile: [string, string][] = [
  ...browserLike,
  ["connection", "keep-alive, x-secret-hint"],
  ["keep-alive", "timeout=5"],
  ["te", "trailers"],
  ["x-secret-hint", "1"],
  ["x-forwarded-for", "10.0.0.1"],
  ["x-user-id", "admin"],
  ["x-portcullis-consumer", "admin"],
  ["forwarded", "for=10.0.0.1"],
];

const upstreamResponse: [string, string][] = [
  ["content-type", "application/json"],
  ["content-length", "1024"],
  ["date", "Wed, 03 Dec 2025 16:00:00 GMT"],
  ["connection", "keep-alive"],
  ["keep-alive", "timeout=5"],
  ["cache-control", "no-store"],
  ["etag", '"abc123"'],
];

const identity: Identity = {
  subject: "partner-7",
  kind: "api-key",
  credentialId: "4fQz9XbT2mKa",
  tenant: "tenant-a",
  roles: ["reader", "billing"],
  scopes: ["items:read"],
  actorChain: [],
  issuer: null,
};

function context(withIdentity: boolean): RequestContext {
  return {
    requestId: "01JF0000000000000000000000",
    request: new Request("http://api.example.com/v1/items/42"),
    method: "GET",
    host: "api.example.com",
    path: "/v1/items/42",
    query: "",
    peerAddress: "127.0.0.1",
    clientAddress: "127.0.0.1",
    startedAt: 0,
    receivedAtMs: 0,
    route: null,
    params: null,
    identity: withIdentity ? identity : null,
    responseHeaders: null,
    ruleId: null,
    reason: null,
    limitOutcome: null,
    reportOnly: null,
    upstreamTarget: null,
    upstreamError: null,
  };
}

const anonymous = context(false);
const identified = context(true);

await runMicro("header rewriting", (bench) => {
  bench("copy only (6 fields)", () => do_not_optimize(new Headers(browserLike)));
  bench("rewrite, anonymous (6 fields)", () => {
    const headers = new Headers(browserLike);
    prepareUpstreamHeaders(anonymous, headers);
    return do_not_optimize(headers);
  });
  bench("rewrite, with identity (6 fields)", () => {
    const headers = new Headers(browserLike);
    prepareUpstreamHeaders(identified, headers);
    return do_not_optimize(headers);
  });
  bench("copy only (14 fields, hostile)", () => do_not_optimize(new Headers(hostile)));
  bench("rewrite, with identity (14 fields, hostile)", () => {
    const headers = new Headers(hostile);
    prepareUpstreamHeaders(identified, headers);
    return do_not_optimize(headers);
  });
  bench("response hop-by-hop scan (7 fields)", () => {
    const headers = new Headers(upstreamResponse);
    let doomed: string[] | null = null;
    for (const name of headers.keys()) if (isResponseHopByHop(name)) (doomed ??= []).push(name);
    if (doomed) for (const name of doomed) headers.delete(name);
    return do_not_optimize(headers);
  });
});

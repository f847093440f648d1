import type { RequestContext } from "../server/context.ts";
import { applyIdentityHeaders } from "./identity-headers.ts";

/**
 * Fields that describe one connection, not the message (RFC 9110 §7.6.1), plus the legacy
 * Proxy-Connection and h2c's HTTP2-Settings (RFC 7540 §3.2.1). Any other `proxy-*` field is
 * dropped too: Proxy-Authorization and Proxy-Authenticate are for the hop that asked for them.
 */
const hopByHop = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
];

/** Response fields the client must not receive from the upstream. */
export const responseHopByHop: ReadonlySet<string> = new Set(hopByHop);

/**
 * Request fields a client may not set: forwarding claims and internal routing hints that an
 * upstream (or a framework in it) might believe. The gateway writes its own X-Forwarded-*.
 */
const untrustedRequest = [
  "forwarded",
  "x-real-ip",
  "x-client-ip",
  "true-client-ip",
  "cf-connecting-ip",
  "x-original-url",
  "x-original-uri",
  "x-rewrite-url",
];

/** Framing, routing and tracing fields the proxy writes itself, from its own decisions. */
const rewrittenByProxy = ["host", "content-length", "expect", "x-request-id"];

const droppedRequest: ReadonlySet<string> = new Set([
  ...hopByHop,
  ...untrustedRequest,
  ...rewrittenByProxy,
]);

/** Whether a lower-cased response field name must be removed (hop-by-hop or `proxy-*`). */
export function isResponseHopByHop(name: string): boolean {
  return responseHopByHop.has(name) || name.startsWith("proxy-");
}

/** Whether a lower-cased client field must not reach the upstream as the client sent it. */
export function isDroppedRequestField(name: string): boolean {
  return (
    droppedRequest.has(name) ||
    name.startsWith("proxy-") ||
    name.startsWith("x-forwarded-") ||
    name.startsWith("x-portcullis-")
  );
}

/**
 * The first two steps for either upstream client. Order matters: fields the client nominates in
 * Connection are removed BEFORE the gateway sets its own, so `Connection: X-User-Id` cannot
 * strip the gateway's identity header (case C026).
 */
export function applyGatewayFields(ctx: RequestContext, headers: Headers): void {
  const nominated = headers.get("connection");
  if (nominated !== null) {
    for (const token of nominated.split(",")) {
      const name = token.trim();
      if (name !== "") headers.delete(name);
    }
  }
  applyIdentityHeaders(ctx, headers);
}

/** The client's own forwarding claims, read while the other fields are filtered. */
export interface InboundForwarding {
  forwardedFor: string | null;
  proto: string | null;
  forwardedHost: string | null;
  host: string | null;
}

/** Records a dropped field if it is one of the claims `forwardingFields` may keep. */
export function noteInbound(inbound: InboundForwarding, name: string, value: string): void {
  if (name === "x-forwarded-for") inbound.forwardedFor = value;
  else if (name === "x-forwarded-proto") inbound.proto = value;
  else if (name === "x-forwarded-host") inbound.forwardedHost = value;
  else if (name === "host") inbound.host = value;
}

/**
 * X-Forwarded-For/-Proto/-Host as name/value pairs. The inbound chain is kept only when the
 * trusted-proxy logic accepted it (the resolved client differs from the TCP peer), and then
 * only from the client it named onwards: entries left of it are vouched for by nobody.
 */
export function forwardingFields(ctx: RequestContext, inbound: InboundForwarding): string[] {
  const trusted = inbound.forwardedFor !== null && ctx.clientAddress !== ctx.peerAddress;
  const chain = trusted ? trustedChain(inbound.forwardedFor!, ctx.clientAddress) : null;
  const scheme = ctx.request.url.startsWith("https:") ? "https" : "http";
  const host = trusted && inbound.forwardedHost ? inbound.forwardedHost : inbound.host;
  const fields = [
    "x-forwarded-for", chain ? `${chain}, ${ctx.peerAddress}` : ctx.peerAddress,
    "x-forwarded-proto", trusted && inbound.proto ? inbound.proto : scheme,
  ];
  if (host) fields.push("x-forwarded-host", host);
  fields.push("x-request-id", ctx.requestId);
  return fields;
}

/**
 * Turns the client's headers into the upstream's in place, for the fetch client (https
 * targets); the pooled client applies the same rules while writing the head
 * (`serializeUpstreamHead`). In place because a new Headers object costs ~20 % of
 * throughput (BUN-NOTES §1.16).
 */
export function prepareUpstreamHeaders(ctx: RequestContext, headers: Headers): void {
  applyGatewayFields(ctx, headers);
  const inbound: InboundForwarding = { forwardedFor: null, proto: null, forwardedHost: null,
    host: null };
  const doomed: string[] = [];
  // forEach is about twice as fast as iterating Headers with for-of in Bun 1.4.5.
  headers.forEach((value, name) => {
    if (!isDroppedRequestField(name)) return;
    doomed.push(name);
    noteInbound(inbound, name, value);
  });
  for (const name of doomed) headers.delete(name);
  const fields = forwardingFields(ctx, inbound);
  for (let i = 0; i < fields.length; i += 2) headers.set(fields[i]!, fields[i + 1]!);
}

function trustedChain(inboundFor: string, client: string): string | null {
  const hops = inboundFor.split(",").map((hop) => hop.trim());
  const start = hops.lastIndexOf(client);
  return start === -1 ? null : hops.slice(start).join(", ");
}

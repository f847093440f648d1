import type { RequestContext } from "../server/context.ts";
import {
  forwardingFields,
  isDroppedRequestField,
  noteInbound,
  type InboundForwarding,
} from "./headers.ts";
import { identityLines, identitySkip } from "./identity-headers.ts";

const outsideVisibleAscii = /[^\x21-\x7e]/;
const nonAscii = /[^\x00-\x7f]/;

/**
 * The upstream request head, written in one pass over the client's fields: hop-by-hop,
 * untrusted, gateway-owned and credential fields, and fields the client's Connection names
 * (RFC 9110 §7.6.1), are skipped while the string is built rather than deleted from the
 * Headers object first (each delete is a native call); then the gateway's identity and
 * forwarding fields follow, so a Connection token can never remove them (case C026). `framing`
 * is the gateway's framing field (`content-length: N\r\n`, `transfer-encoding: chunked\r\n`
 * or empty). The client's Headers are left as received.
 *
 * Field values from Bun.serve hold the received bytes as latin-1 code units (one per byte), so
 * a head with bytes above 0x7F is encoded as latin-1 to reach the upstream byte for byte.
 */
export function serializeUpstreamHead(
  ctx: RequestContext,
  headers: Headers,
  target: string,
  hostHeader: string,
  framing: string,
): string | Uint8Array {
  const skip = identitySkip(ctx);
  const nominated = nominatedFields(headers.get("connection"));
  const inbound: InboundForwarding = { forwardedFor: null, proto: null, forwardedHost: null,
    host: null };
  // RFC 9112 §3.2: Host first. It names the target, as a virtual host behind it expects.
  let head = `${ctx.method} ${safeTarget(target)} HTTP/1.1\r\nhost: ${hostHeader}\r\n`;
  headers.forEach((value, name) => {
    if (nominated !== null && nominated.includes(name)) return;
    if (isDroppedRequestField(name)) noteInbound(inbound, name, value);
    else if (!skip.has(name)) head += `${name}: ${value}\r\n`;
  });
  head += identityLines(ctx);
  const fields = forwardingFields(ctx, inbound);
  for (let i = 0; i < fields.length; i += 2) head += `${fields[i]}: ${fields[i + 1]}\r\n`;
  head += framing + "\r\n";
  return nonAscii.test(head) ? Buffer.from(head, "latin1") : head;
}

/** The lower-cased field names a Connection field nominates, or null when there is none. */
function nominatedFields(connection: string | null): string[] | null {
  if (connection === null) return null;
  const names: string[] = [];
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name !== "") names.push(name);
  }
  return names;
}

/**
 * A request-target holds only visible ASCII (RFC 9112 §3.2). The canonical path and the query
 * normally do; anything else (a space, a control byte, a raw non-ASCII byte) is percent-encoded
 * here so it can never split the request line.
 */
export function safeTarget(target: string): string {
  if (!outsideVisibleAscii.test(target)) return target;
  let out = "";
  for (const char of target) {
    const code = char.codePointAt(0)!;
    if (code > 0x20 && code < 0x7f) out += char;
    else if (code < 0x100) out += "%" + code.toString(16).toUpperCase().padStart(2, "0");
    else out += encodeURIComponent(char);
  }
  return out;
}

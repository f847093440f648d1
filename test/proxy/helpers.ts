import type { Socket } from "bun";
import { startGateway, type GatewayProcess, type StartOptions } from "../support/gateway.ts";
import { generateTestKey, mint, testAudience, testIssuer } from "../support/keys.ts";

/** An anonymous route to `upstream`; `extra` adds or overrides route fields. */
export function openRoute(id: string, path: string, upstream: string, extra = {}) {
  return { id, path, upstream, auth: { anonymous: true }, ...extra };
}

/** A gateway with quiet logs (warn) so load tests do not write an access line per request. */
export function startQuietGateway(
  config: Record<string, unknown>,
  options?: StartOptions,
): Promise<GatewayProcess> {
  return startGateway({ log: { level: "warn" }, ...config }, options);
}

/** Raw HTTP/1.1 response bytes with a Content-Length computed from `body`. */
export function rawResponse(status: string, fields: string[], body: string | Uint8Array) {
  const bytes = typeof body === "string" ? Buffer.from(body, "latin1") : Buffer.from(body);
  const lines = [`HTTP/1.1 ${status}`, ...fields, `Content-Length: ${bytes.length}`];
  const head = lines.join("\r\n");
  return Buffer.concat([Buffer.from(head + "\r\n\r\n", "latin1"), bytes]);
}

/** Writes latin-1 text to a raw upstream socket. */
export function writeRaw(socket: Socket<unknown>, text: string): void {
  socket.write(Buffer.from(text, "latin1"));
}

/**
 * Decodes a chunked body from raw bytes (latin-1). Returns the payload and whether the final
 * zero-length chunk arrived: a truncated response must never look complete.
 */
export function decodeChunked(raw: string): { body: string; complete: boolean } {
  let body = "";
  let rest = raw;
  for (;;) {
    const lineEnd = rest.indexOf("\r\n");
    if (lineEnd === -1) return { body, complete: false };
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (Number.isNaN(size)) return { body, complete: false };
    if (size === 0) return { body, complete: rest.slice(lineEnd + 2).startsWith("\r\n") };
    const chunk = rest.slice(lineEnd + 2, lineEnd + 2 + size);
    body += chunk;
    if (chunk.length < size) return { body, complete: false };
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** Resolves when `probe` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitUntil(probe: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

/**
 * A fresh RSA key, the `identity` config section trusting it (as issuer `idp`) and a minter
 * for the cases' named tokens (`<T_ALICE>`: sub alice, roles [user], tenant t1).
 */
export function testIdentity() {
  const key = generateTestKey("k1");
  const identity = {
    issuers: [
      { id: "idp", issuer: testIssuer, audience: testAudience, keys: [{ jwk: key.publicJwk }] },
    ],
  };
  const token = (claims: Record<string, unknown>) => mint(claims, {}, key);
  return {
    identity,
    alice: () => token({ sub: "alice", roles: ["user"], tenant: "t1" }),
    admin: () => token({ sub: "ada", roles: ["admin"] }),
  };
}

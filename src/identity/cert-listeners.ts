import type { Server, TLSOptions } from "bun";
import type { CertListenerConfig } from "../config/sections/identity.ts";

/**
 * Client-certificate listeners. Bun.serve enforces client certificates during the handshake
 * (`requestCert` + `rejectUnauthorized`) but gives the request handler no access to the peer
 * certificate (BUN-NOTES §1.9, oven-sh/bun#14097). So the honest mapping is per listener:
 * "completed a TLS handshake with a certificate that chains to this listener's CA (and is not
 * on its CRL)" is the identity of one configured consumer. What is verified: the chain to `caFile`,
 * validity dates, the CRL when given, and possession of the private key (TLS itself). What is
 * NOT available: which certificate it was (subject, SAN, serial) — every client of that CA on
 * that listener is the same consumer. Per-client identity needs a TLS terminator in front and
 * `identity.clientCert.forwarded`.
 */

const listenerOfRequest = new WeakMap<Request, string>();

/** The client-certificate listener a request arrived on, if any. */
export function certListenerOf(request: Request): string | undefined {
  return listenerOfRequest.get(request);
}

/** Bun TLS options that admit only clients whose certificate chains to the listener's CA. */
export function certListenerTls(listener: CertListenerConfig): TLSOptions {
  return {
    cert: Bun.file(listener.certFile),
    key: Bun.file(listener.keyFile),
    ca: Bun.file(listener.caFile),
    ...(listener.crlFile ? { crl: Bun.file(listener.crlFile) } : {}),
    requestCert: true,
    // Without this Bun serves unverified clients too and the handler cannot tell (§1.9).
    rejectUnauthorized: true,
  };
}

export type RequestHandler = (
  request: Request,
  server: Server<unknown>,
) => Response | Promise<Response>;

/**
 * Starts one TLS listener per configured entry, each tagging its requests with its id before
 * handing them to the normal request path. The caller stops the returned servers on shutdown.
 */
export function startCertListeners(
  listeners: readonly CertListenerConfig[],
  handle: RequestHandler,
  base: { idleTimeout: number; maxRequestBodySize: number },
): Server<unknown>[] {
  return listeners.map((listener) =>
    Bun.serve({
      hostname: listener.host,
      port: listener.port,
      development: false,
      idleTimeout: base.idleTimeout,
      maxRequestBodySize: base.maxRequestBodySize,
      tls: certListenerTls(listener),
      fetch(request, server) {
        listenerOfRequest.set(request, listener.id);
        return handle(request, server);
      },
    }),
  );
}

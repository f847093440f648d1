import type { Exchange, OutboundRequest } from "./exchange.ts";
import { UpstreamError } from "./upstream-error.ts";

const lastChunk = "0\r\n\r\n";

/**
 * Streams the client's body to the upstream as it arrives, chunk by chunk, waiting for the
 * socket to drain so a fast client cannot fill the gateway's memory with a slow upstream.
 * It counts bytes against the route's limit: a chunked body has no length to check up front.
 */
export async function sendRequestBody(exchange: Exchange, request: OutboundRequest) {
  const reader = request.bodyStream!.getReader();
  const connection = exchange.connection;
  let sent = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (exchange.finished) return void reader.cancel().catch(() => {});
      if (done) break;
      if (value.length === 0) continue;

      sent += value.length;
      if (sent > request.maxBodyBytes) {
        exchange.fail(new UpstreamError("body_too_large", "request body over the route limit"));
        return void reader.cancel().catch(() => {});
      }
      if (request.chunked) {
        connection.write(value.length.toString(16) + "\r\n");
        connection.write(value);
        connection.write("\r\n");
      } else connection.write(value);
      await exchange.drained();
    }
    if (request.chunked) connection.write(lastChunk);
    exchange.requestComplete();
  } catch {
    // The client's body failed mid-way (it disconnected, or broke its own framing). What the
    // upstream got so far is an incomplete request, so the exchange cannot continue.
    exchange.fail(new UpstreamError("client_body", "client request body failed"));
  }
}

import { isResponseHopByHop } from "./headers.ts";
import { UpstreamError } from "./upstream-error.ts";

export interface FetchExchange {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  readonly responseHeadersTimeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * Forwards over Bun's fetch; used for `https:` targets, which the pooled HTTP/1.1 client does
 * not speak. Compressed bodies pass untouched (`decompress: false`: fetch would otherwise
 * decode the body and keep Content-Encoding), redirects go back to the client, and the
 * response-head deadline is a timer cleared once the head is in, so a long download is not cut
 * (fetch's own `timeout` option is a coarse idle timer, BUN-NOTES §1.4).
 */
export async function fetchUpstream(exchange: FetchExchange): Promise<Response> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(new UpstreamError("aborted", "client closed the request"));
  exchange.signal.addEventListener("abort", onAbort);
  const timer = setTimeout(() => {
    controller.abort(new UpstreamError("timeout", "no response head in time"));
  }, exchange.responseHeadersTimeoutMs);

  try {
    const response = await fetch(exchange.url, {
      method: exchange.method,
      headers: exchange.headers,
      body: exchange.body,
      duplex: "half",
      redirect: "manual",
      decompress: false,
      signal: controller.signal,
    });
    stripResponseHeaders(response.headers);
    return response;
  } catch (error) {
    throw classifyFetchError(error, controller.signal);
  } finally {
    clearTimeout(timer);
    exchange.signal.removeEventListener("abort", onAbort);
  }
}

/** In place: Bun lets a fetch response's headers be changed (BUN-NOTES §1.1). */
function stripResponseHeaders(headers: Headers): void {
  const nominated = headers.get("connection");
  const doomed: string[] = [];
  for (const name of headers.keys()) if (isResponseHopByHop(name)) doomed.push(name);
  if (nominated) for (const token of nominated.split(",")) doomed.push(token.trim());
  for (const name of doomed) if (name !== "") headers.delete(name);
}

function classifyFetchError(error: unknown, signal: AbortSignal): UpstreamError {
  if (signal.aborted && signal.reason instanceof UpstreamError) return signal.reason;
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (code === "ECONNREFUSED") return new UpstreamError("refused", text, true);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new UpstreamError("dns", text, true);
  if (code === "ECONNRESET" || code === "EPIPE") return new UpstreamError("reset", text);
  return new UpstreamError("protocol", text);
}

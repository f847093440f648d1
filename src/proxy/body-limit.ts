import type { RouteConfig } from "../config/sections/routes.ts";
import { UpstreamError } from "./upstream-error.ts";

/** Request bodies up to this size with a Content-Length are read whole before forwarding. */
export const bufferedRequestLimit = 64 * 1024;

/**
 * How the client framed its body, read from the fields Bun.serve already validated (it refuses
 * a Content-Length with Transfer-Encoding, several different lengths and any coding other than
 * a single `chunked`, BUN-NOTES §1.6). `length` is -1 for a chunked body.
 */
export interface RequestBodyShape {
  readonly present: boolean;
  readonly length: number;
}

const noBody: RequestBodyShape = { present: false, length: 0 };

export function requestBodyShape(headers: Headers): RequestBodyShape {
  const declared = headers.get("content-length");
  if (declared !== null) {
    const length = declaredLength(declared);
    return length === 0 ? noBody : { present: true, length };
  }
  return headers.get("transfer-encoding") === null ? noBody : { present: true, length: -1 };
}

/**
 * Bun.serve accepts repeated identical Content-Length fields and `Headers` joins them ("5, 5");
 * it refuses differing ones, so the first value is the length (RFC 9110 §8.6). Anything else
 * is streamed with chunked framing rather than trusted.
 */
function declaredLength(value: string): number {
  const comma = value.indexOf(",");
  const length = Number((comma === -1 ? value : value.slice(0, comma)).trim());
  return Number.isSafeInteger(length) && length >= 0 ? length : -1;
}

/**
 * The route's body limit. The listener's `maxBodyBytes` is enforced by Bun.serve itself
 * (`maxRequestBodySize`: 413 at once for a Content-Length, 413 when a chunked body crosses it);
 * a route may only set a lower one, which the proxy enforces.
 */
export function routeBodyLimit(route: RouteConfig): number {
  return route.maxBodyBytes ?? Number.POSITIVE_INFINITY;
}

/** A declared length over the limit is refused before any byte goes upstream. */
export function declaredTooLarge(shape: RequestBodyShape, limit: number): boolean {
  return shape.length > limit;
}

/**
 * A pass-through stream that fails once more than `limit` bytes went through: used where the
 * body is handed to `fetch` (https targets). The pooled client counts in its own body pump.
 */
export function limitBodyStream(
  body: ReadableStream<Uint8Array>,
  limit: number,
): ReadableStream<Uint8Array> {
  if (limit === Number.POSITIVE_INFINITY) return body;
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.length;
        if (seen <= limit) return controller.enqueue(chunk);
        controller.error(new UpstreamError("body_too_large", "request body over the route limit"));
      },
    }),
  );
}

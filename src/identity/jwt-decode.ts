/** A compact JWS split and its JSON parts parsed, not yet verified. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

const base64url = /^[A-Za-z0-9_-]+$/;

/**
 * Splits a compact JWT (RFC 7519 §7.2) and parses header and payload. Returns null unless there
 * are exactly three non-empty base64url segments (an empty signature is never valid here) and
 * both JSON parts are objects. Node's base64url decoder skips bad characters, so the alphabet is
 * checked first.
 */
export function decodeJwt(token: string): DecodedJwt | null {
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1) return null;
  if (token.indexOf(".", second + 1) !== -1) return null;

  const headerPart = token.slice(0, first);
  const payloadPart = token.slice(first + 1, second);
  if (!base64url.test(headerPart) || !base64url.test(payloadPart)) return null;
  if (!base64url.test(token.slice(second + 1))) return null;

  const header = parseObject(headerPart);
  const payload = header ? parseObject(payloadPart) : null;
  return header && payload ? { header, payload } : null;
}

function parseObject(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

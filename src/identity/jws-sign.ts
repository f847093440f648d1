import { createHash, sign, type KeyObject } from "node:crypto";

/**
 * Synchronous compact JWS signing (RFC 7515 §7.1) for the gateway's own tokens. node:crypto
 * signs EdDSA and ES256 without a promise, so minting an upstream token fits in the
 * synchronous header step of the proxy path.
 */
export function signCompact(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  key: KeyObject,
): string {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  const data = Buffer.from(input);
  const signature =
    header.alg === "ES256"
      ? // JWS uses the fixed-width R||S form, not DER (RFC 7518 §3.4).
        sign("sha256", data, { key, dsaEncoding: "ieee-p1363" })
      : sign(null, data, key);
  return `${input}.${signature.toString("base64url")}`;
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** RFC 7638 JWK thumbprint, used as `kid` so a key names itself. */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const members =
    jwk.kty === "EC"
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

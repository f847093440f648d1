import { randomBytes } from "node:crypto";

/**
 * API key format: `<word>_<word>_<keyId>_<secret><checksum>`, for example
 * `pk_live_4fQz9XbT2mKa_<43 base62 chars><6 base62 chars>`.
 *
 * - The two-word prefix lets secret scanners and humans recognise a Portcullis key.
 * - `keyId` (12 base62 chars, 64 random bits) is public: it names the key in the store, in
 *   logs and in audit records, so lookups never need the secret.
 * - The secret is 32 random bytes as 43 base62 chars (62^43 > 2^256); base62 keeps the whole key
 *   one double-click word (no `-`, `+`, `/`).
 * - The checksum is CRC-32 of everything before it, as 6 base62 chars. It is not a security
 *   control: it lets a scanner or a typo check reject a string without asking the store.
 */

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const keyIdLength = 12;
const secretLength = 43;
const checksumLength = 6;
const bodyLength = secretLength + checksumLength;
const prefixPattern = /^[a-z][a-z0-9]{0,7}_[a-z0-9]{1,12}$/;
const base62Char = new Uint8Array(128);
for (const c of alphabet) base62Char[c.charCodeAt(0)] = 1;

/**
 * Finds Portcullis API keys (any prefix) in free text, for log scrubbing and secret scanners.
 * Global: reset `lastIndex` or use `String.replace`.
 */
export const apiKeyPattern =
  /\b[a-z][a-z0-9]{0,7}_[a-z0-9]{1,12}_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}\b/g;

/** A key split into its parts. Produced only by `parseApiKey` or `generateApiKey`. */
export interface ParsedApiKey {
  readonly prefix: string;
  readonly keyId: string;
  /** The whole key: what is hashed and compared. */
  readonly full: string;
}

/** Creates a new key; the caller shows `full` once and stores only its hash. */
export function generateApiKey(prefix: string): ParsedApiKey {
  if (!prefixPattern.test(prefix)) throw new TypeError(`invalid API key prefix "${prefix}"`);
  const keyId = encodeBase62(randomBytes(8), keyIdLength);
  return withChecksum(prefix, keyId, encodeBase62(randomBytes(32), secretLength));
}

function withChecksum(prefix: string, keyId: string, secret: string): ParsedApiKey {
  const head = `${prefix}_${keyId}_${secret}`;
  return { prefix, keyId, full: head + checksumOf(head) };
}

/**
 * Splits and checks a presented key. Returns null for anything that is not a well-formed key
 * with a correct checksum. Cost is linear in the input and allocates only on success.
 */
export function parseApiKey(value: string): ParsedApiKey | null {
  const third = findUnderscore(value, 3);
  if (third < 0) return null;
  if (value.length !== third + 1 + bodyLength) return null;

  const second = value.lastIndexOf("_", third - 1);
  const prefix = value.slice(0, second);
  if (!prefixPattern.test(prefix)) return null;
  if (third - second - 1 !== keyIdLength) return null;
  for (let i = second + 1; i < value.length; i++) {
    if (i !== third && !isBase62(value.charCodeAt(i))) return null;
  }

  const cut = value.length - checksumLength;
  if (checksumOf(value.slice(0, cut)) !== value.slice(cut)) return null;
  return { prefix, keyId: value.slice(second + 1, third), full: value };
}

/** Quick shape test used to tell an API key from a JWT in `Authorization: Bearer`. */
export function looksLikeApiKey(value: string): boolean {
  return value.indexOf(".") < 0 && findUnderscore(value, 3) > 0;
}

function findUnderscore(value: string, nth: number): number {
  let at = -1;
  for (let n = 0; n < nth; n++) {
    at = value.indexOf("_", at + 1);
    if (at < 0) return -1;
  }
  return value.indexOf("_", at + 1) < 0 ? at : -1;
}

function isBase62(code: number): boolean {
  return code < 128 && base62Char[code] === 1;
}

function checksumOf(head: string): string {
  let crc = Bun.hash.crc32(head);
  let out = "";
  for (let i = 0; i < checksumLength; i++) {
    out = alphabet[crc % 62] + out;
    crc = Math.floor(crc / 62);
  }
  return out;
}

function encodeBase62(bytes: Uint8Array, width: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = alphabet[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(width, "0");
}

import { importJWK, type JWK } from "jose";
import { createPublicKey, type KeyObject } from "node:crypto";

/** Verification keys by `kid` ("" for a key without one), then by algorithm. */
export type KeySet = ReadonlyMap<string, ReadonlyMap<string, CryptoKey>>;

const rsaAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const curveAlgorithms: Record<string, string[]> = {
  "P-256": ["ES256"],
  "P-384": ["ES384"],
  "P-521": ["ES512"],
  Ed25519: ["EdDSA", "Ed25519"],
};
/** Members that only private or symmetric JWKs have (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** Algorithms a public JWK may verify, limited to the issuer's allow-list. */
function algorithmsFor(jwk: Record<string, unknown>, allowed: ReadonlySet<string>): string[] {
  let candidates: string[] = [];
  if (jwk.kty === "RSA") candidates = rsaAlgorithms;
  else if (jwk.kty === "EC" || jwk.kty === "OKP")
    candidates = curveAlgorithms[jwk.crv as string] ?? [];
  // A JWK that names its algorithm may be used with that one only (RFC 7517 §4.4).
  if (typeof jwk.alg === "string") candidates = candidates.filter((a) => a === jwk.alg);
  return candidates.filter((a) => allowed.has(a));
}

/**
 * Imports a JWKS document (RFC 7517 §5) into verification keys. Keys that are private,
 * symmetric, meant for encryption, or of no allowed algorithm are left out; a document that
 * yields no usable key returns null so the caller keeps its last good set.
 */
export async function importKeySet(
  document: unknown,
  allowed: ReadonlySet<string>,
): Promise<KeySet | null> {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return null;

  const set = new Map<string, Map<string, CryptoKey>>();
  for (const jwk of keys) {
    if (!jwk || typeof jwk !== "object") continue;
    const record = jwk as Record<string, unknown>;
    if (privateMembers.some((m) => m in record) || record.use === "enc") continue;
    const kid = typeof record.kid === "string" ? record.kid : "";
    if (set.has(kid)) continue;

    const byAlg = new Map<string, CryptoKey>();
    for (const alg of algorithmsFor(record, allowed)) {
      const key = await importJWK(publicPart(record), alg).catch(() => null);
      if (key && !(key instanceof Uint8Array)) byAlg.set(alg, key);
    }
    if (byAlg.size > 0) set.set(kid, byAlg);
  }
  return set.size > 0 ? set : null;
}

/**
 * Why a configured (static) JWK would verify nothing, or null when it is usable. Synchronous
 * (node:crypto) so config load can report the key's path instead of every token getting a 503:
 * it applies `importKeySet`'s filters, then parses the key and checks what the import or jose's
 * verification would refuse later (RSA below 2048 bits, a broken exponent).
 */
export function staticKeyProblem(
  jwk: Record<string, unknown>,
  allowed: ReadonlySet<string>,
): string | null {
  if (privateMembers.some((m) => m in jwk)) return "private or symmetric keys are refused";
  if (jwk.use === "enc") return "an encryption key (use: enc) cannot verify signatures";
  if (algorithmsFor(jwk, allowed).length === 0) {
    const names = [...allowed].join(", ");
    return `key type, curve or alg fits none of the issuer's algorithms (${names})`;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicPart(jwk), format: "jwk" });
  } catch {
    return "not a valid public key";
  }
  if (key.asymmetricKeyType !== "rsa") return null;
  const { modulusLength = 0, publicExponent = 0n } = key.asymmetricKeyDetails ?? {};
  if (modulusLength < 2048) return "RSA keys need a modulus of at least 2048 bits";
  if (publicExponent < 3n || publicExponent % 2n === 0n) return "invalid RSA public exponent";
  return null;
}

/** Converts a PEM SPKI public key to a JWK so static keys go through the same import. */
export function pemToJwk(pem: string): Record<string, unknown> {
  return createPublicKey(pem).export({ format: "jwk" }) as Record<string, unknown>;
}

/** A stable text for a key set, to notice when a refresh really changed the keys. */
export function keySetFingerprint(document: unknown): string {
  const keys = (document as { keys?: unknown[] }).keys ?? [];
  return JSON.stringify(keys.map((k) => JSON.stringify(k)).sort());
}

function publicPart(jwk: Record<string, unknown>): JWK {
  const { kty, crv, n, e, x, y } = jwk as Record<string, string | undefined>;
  return { kty, crv, n, e, x, y } as JWK;
}

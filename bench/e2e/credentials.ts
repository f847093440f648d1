import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { benchRoles } from "./gateway-configs.ts";

/**
 * Credentials the load presents: an API key written into a fresh identity store through the
 * same operator functions the CLI uses, and a JWT signed by a throw-away issuer key whose public
 * half goes into the config. Nothing here leaves the benchmark's temp folder.
 */

export interface JwtIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwk: object;
  /** A token for the benchmark caller, valid for the whole run. */
  readonly token: string;
}

export const benchConsumer = { id: "bench-partner", tenant: "tenant-a" };

export async function createJwtIssuer(validForSec: number): Promise<JwtIssuer> {
  const issuer = "https://idp.bench.invalid";
  const audience = "bench-api";
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench-1", alg: "ES256", use: "sig" };
  const token = await new SignJWT({ roles: [benchRoles.granted], tenant: benchConsumer.tenant })
    .setProtectedHeader({ alg: "ES256", kid: "bench-1", typ: "JWT" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject("bench-agent")
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + validForSec)
    .sign(privateKey);
  return { issuer, audience, jwk, token };
}

/**
 * Creates the benchmark consumer and one API key in the store file the gateway will open.
 * Imported lazily: when the identity modules are not there yet, the API-key configs are
 * reported as not available instead of stopping the whole run.
 */
export async function provisionApiKey(storeFile: string): Promise<string> {
  const { openSqliteStore } = await import("../../src/identity/sqlite-store.ts");
  const { addConsumer, createKey } = await import("../../src/identity/key-admin.ts");
  const store = openSqliteStore(storeFile);
  try {
    const now = Date.now();
    if (!store.getConsumer(benchConsumer.id)) {
      addConsumer(store, { ...benchConsumer, roles: [benchRoles.granted] }, now);
    }
    return createKey(store, { consumerId: benchConsumer.id, prefix: "pk_live" }, now).key;
  } finally {
    store.close();
  }
}

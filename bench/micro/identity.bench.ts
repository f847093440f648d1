/**
 * Per-request cost of authentication: API-key verification (record cached, record read from
 * SQLite, malformed key), JWT verification cached (hash + map hit) and uncached per algorithm
 * (RS256, ES256, EdDSA through jose/WebCrypto), and minting a gateway token (EdDSA, ES256).
 * Run: `bun bench/micro/identity.bench.ts`. The SHA-256 case is the floor every API-key check
 * pays; read the others as multiples of it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJwtCheck } from "../../src/checks/authn/jwt.ts";
import { createApiKeyVerifier } from "../../src/identity/api-key-verifier.ts";
import type { Identity } from "../../src/identity/identity.ts";
import { createStaticKeySource } from "../../src/identity/jwks-source.ts";
import { decodeJwt } from "../../src/identity/jwt-decode.ts";
import { createIssuerVerifier } from "../../src/identity/jwt-verifier.ts";
import { addConsumer, createKey } from "../../src/identity/key-admin.ts";
import { createSigningKeys } from "../../src/identity/signing-keys.ts";
import { openSqliteStore } from "../../src/identity/sqlite-store.ts";
import { createTokenCache } from "../../src/identity/token-cache.ts";
import { createTokenMinter } from "../../src/identity/token-minter.ts";
import type { RequestContext } from "../../src/server/context.ts";
import { generateTestKey, mint, testIssuer, type TestAlgorithm } from "../../test/support/keys.ts";
import { do_not_optimize, runMicro } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-identity-bench-"));
const store = openSqliteStore(join(dir, "identity.sqlite"));
addConsumer(store, { id: "alice", tenant: "t1", roles: ["user"], scopes: ["read"] }, Date.now());
const { key } = createKey(store, { consumerId: "alice", prefix: "pk_live" }, Date.now());
const apiKeys = createApiKeyVerifier(store);
const malformed = `${key.slice(0, -1)}${key.at(-1) === "a" ? "b" : "a"}`;

const algorithms: TestAlgorithm[] = ["RS256", "ES256", "EdDSA"];
const testKeys = algorithms.map((alg) => generateTestKey(`k-${alg}`, alg));
const allowed = new Set<string>(algorithms);
const verifier = createIssuerVerifier({
  id: "idp",
  rules: { issuer: testIssuer, audiences: new Set(["gw-api"]), leewaySec: 60 },
  names: { subject: "sub", tenant: "tenant", roles: "roles", scopes: "scope", email: "email" },
  algorithms: allowed,
  source: createStaticKeySource({ keys: testKeys.map((k) => k.publicJwk) }, allowed),
  kind: "jwt",
  onError: "deny",
  cacheMaxEntries: 10_000,
});
const hour = () => Math.floor(Date.now() / 1000) + 3600;
const tokens = new Map(
  testKeys.map((k) => [k.alg, mint({ sub: "alice", roles: ["user"], exp: hour() }, {}, k)]),
);
const cachedCheck = createJwtCheck([verifier], createTokenCache(10_000));
const ctx = { identity: null } as unknown as RequestContext;
await cachedCheck(ctx, tokens.get("RS256")!);

const identity = ctx.identity as unknown as Identity;
const minters = await Promise.all(
  (["EdDSA", "ES256"] as const).map(async (alg) => {
    const signingStore = openSqliteStore(join(dir, `signing-${alg}.sqlite`));
    return [
      alg,
      createTokenMinter(
        await createSigningKeys(signingStore, alg, 3_600_000),
        "urn:portcullis:gateway",
      ),
    ] as const;
  }),
);

await runMicro("identity: per-request authentication cost", (bench) => {
  bench("floor: SHA-256 of one API key", () => do_not_optimize(Bun.SHA256.hash(key)));
  bench("api key: valid, record cached", () => do_not_optimize(apiKeys.verify(key, Date.now())));
  bench("api key: valid, record read from SQLite", () => {
    apiKeys.invalidate();
    do_not_optimize(apiKeys.verify(key, Date.now()));
  });
  bench("api key: one character off (checksum)", () =>
    do_not_optimize(apiKeys.verify(malformed, Date.now())),
  );
  bench("jwt RS256: cached (hash + lookup)", () =>
    do_not_optimize(cachedCheck(ctx, tokens.get("RS256")!)),
  );
  for (const alg of algorithms) {
    const token = tokens.get(alg)!;
    bench(`jwt ${alg}: uncached verify`, async () =>
      do_not_optimize(await verifier.verify(token, decodeJwt(token)!, Date.now())),
    );
  }
  for (const [alg, minter] of minters) {
    bench(`mint token ${alg}`, () =>
      do_not_optimize(
        minter.mint(
          {
            identity,
            audience: "billing",
            ttlSec: 60,
            scopes: ["read"],
            sourceKeyId: "k",
            actorChain: [],
          },
          Date.now(),
        ),
      ),
    );
  }
});

store.close();
rmSync(dir, { recursive: true, force: true });

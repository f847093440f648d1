import { afterAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { createJwtCheck } from "../../../src/checks/authn/jwt.ts";
import {
  createStaticKeySource,
  createRemoteJwksSource,
} from "../../../src/identity/jwks-source.ts";
import {
  createIssuerVerifier,
  type IssuerVerifierOptions,
} from "../../../src/identity/jwt-verifier.ts";
import { validateClaims } from "../../../src/identity/jwt-claims.ts";
import { createTokenCache } from "../../../src/identity/token-cache.ts";
import type { Verdict } from "../../../src/pipeline/verdict.ts";
import type { RequestContext } from "../../../src/server/context.ts";
import { generateTestKey, mint, startJwksServer, testIssuer } from "../../support/keys.ts";

const rsa = generateTestKey("k1", "RS256");
const ec = generateTestKey("e1", "ES256");
const ed = generateTestKey("d1", "EdDSA");
const attacker = generateTestKey("k1", "RS256");
const names = { subject: "sub", tenant: "tenant", roles: "roles", scopes: "scope", email: "email" };

function verifierFor(keys: object[], overrides: Partial<IssuerVerifierOptions> = {}) {
  const algorithms = new Set(["RS256", "ES256", "EdDSA"]);
  return createIssuerVerifier({
    id: "idp",
    rules: {
      issuer: testIssuer,
      audiences: new Set(["gw-api"]),
      leewaySec: 60,
      maxLifetimeSec: 86_400,
    },
    names,
    algorithms,
    source: createStaticKeySource({ keys }, algorithms),
    kind: "jwt",
    onError: "deny",
    cacheMaxEntries: 100,
    ...overrides,
  });
}

const verifier = verifierFor([rsa.publicJwk, ec.publicJwk, ed.publicJwk]);
const cache = createTokenCache(1000);
const check = createJwtCheck([verifier], cache);

function context(): RequestContext {
  return { identity: null } as unknown as RequestContext;
}

async function run(token: string, which = check) {
  const ctx = context();
  const verdict: Verdict = await which(ctx, token);
  return { verdict, ctx, reason: verdict.kind === "deny" ? verdict.reason : verdict.kind };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

describe("JWT check", () => {
  test("accepts RS256, ES256 and EdDSA tokens and maps claims to the identity", async () => {
    for (const key of [rsa, ec, ed]) {
      const token = mint(
        { sub: "alice", roles: ["user"], tenant: "t1", scope: "read write", email: "a@x.test" },
        {},
        key,
      );
      const { verdict, ctx } = await run(token);
      expect(verdict.kind).toBe("allow");
      expect(ctx.identity).toMatchObject({
        subject: "alice",
        kind: "jwt",
        tenant: "t1",
        roles: ["user"],
        scopes: ["read", "write"],
        issuer: testIssuer,
        email: "a@x.test",
      });
    }
  });

  test("C010 refuses alg none in any case, empty signatures, two-segment tokens", async () => {
    const claims = b64({ iss: testIssuer, aud: "gw-api", sub: "alice", exp: now() + 300 });
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      expect((await run(`${b64({ alg, typ: "JWT" })}.${claims}.`)).reason).toBe(
        "authn.jwt.malformed",
      );
      expect((await run(`${b64({ alg, typ: "JWT" })}.${claims}.AAAA`)).reason).toBe(
        "authn.jwt.alg_not_allowed",
      );
    }
    expect((await run(mint({ sub: "alice" }, {}, rsa, { signature: "" }))).reason).toBe(
      "authn.jwt.malformed",
    );
    expect((await run(`${b64({ alg: "RS256", kid: "k1" })}.${claims}`)).reason).toBe(
      "authn.jwt.malformed",
    );
  });

  test("refuses HS256 signed with the issuer's public key as the HMAC secret", async () => {
    const header = b64({ alg: "HS256", typ: "JWT", kid: "k1" });
    const body = b64({ iss: testIssuer, aud: "gw-api", sub: "alice", exp: now() + 300 });
    const pem = rsa.privateKey.export({ type: "pkcs1", format: "pem" });
    const signature = createHmac("sha256", pem).update(`${header}.${body}`).digest("base64url");
    expect((await run(`${header}.${body}.${signature}`)).reason).toBe("authn.jwt.alg_not_allowed");
  });

  test("refuses a token signed by an unpublished key under a published kid", async () => {
    expect((await run(mint({ sub: "alice" }, {}, attacker))).reason).toBe(
      "authn.jwt.bad_signature",
    );
  });

  test("refuses a changed payload", async () => {
    const token = mint({ sub: "alice", roles: ["user"] }, {}, rsa);
    const [h, , s] = token.split(".");
    const claims = {
      iss: testIssuer,
      aud: "gw-api",
      sub: "alice",
      roles: ["admin"],
      exp: now() + 300,
    };
    const forged = `${h}.${b64(claims)}.${s}`;
    expect((await run(forged)).reason).toBe("authn.jwt.bad_signature");
  });

  test("refuses unknown crit extensions and never follows jku/x5u/jwk", async () => {
    expect((await run(mint({ sub: "alice" }, { crit: ["exp"], exp: 1 }, rsa))).reason).toBe(
      "authn.jwt.crit_unsupported",
    );
    const foreign = {
      jku: "http://127.0.0.1:1/evil.json",
      x5u: "http://127.0.0.1:1/x",
      jwk: attacker.publicJwk,
    };
    expect((await run(mint({ sub: "alice" }, foreign, attacker))).reason).toBe(
      "authn.jwt.bad_signature",
    );
  });

  test("C012 applies exp, nbf, iat and lifetime with leeway; exp must be a number", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ exp: now() - 3600 }, "authn.jwt.expired"],
      [{ exp: undefined }, "authn.jwt.exp_missing"],
      [{ exp: now() - 30 }, "allow"],
      [{ exp: now() - 90 }, "authn.jwt.expired"],
      [{ nbf: now() + 3600 }, "authn.jwt.not_yet_valid"],
      [{ nbf: now() + 30 }, "allow"],
      [{ iat: now() + 3600 }, "authn.jwt.issued_in_future"],
      [{ exp: "9999999999" }, "authn.jwt.claim_invalid"],
      [{ iat: now(), exp: now() + 10 * 365 * 86_400 }, "authn.jwt.lifetime_exceeded"],
    ];
    for (const [claims, expected] of cases) {
      const { reason } = await run(
        mint({ sub: "alice", ...claims }, {}, rsa),
        createJwtCheck([verifier], createTokenCache(0)),
      );
      expect(`${JSON.stringify(claims)} ${reason}`).toBe(`${JSON.stringify(claims)} ${expected}`);
    }
  });

  test("C013 compares aud and iss exactly", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ aud: "billing-api" }, "authn.jwt.audience_mismatch"],
      [{ aud: undefined }, "authn.jwt.audience_mismatch"],
      [{ aud: ["billing-api", "gw-api"] }, "allow"],
      [{ aud: "gw-api " }, "authn.jwt.audience_mismatch"],
      [{ aud: "GW-API" }, "authn.jwt.audience_mismatch"],
      [{ iss: "https://evil.example.test" }, "authn.jwt.issuer_untrusted"],
      [{ iss: `${testIssuer}/` }, "authn.jwt.issuer_untrusted"],
      [{ iss: undefined }, "authn.jwt.issuer_untrusted"],
    ];
    for (const [claims, expected] of cases) {
      const { reason } = await run(mint({ sub: "alice", ...claims }, {}, rsa));
      expect(`${JSON.stringify(claims)} ${reason}`).toBe(`${JSON.stringify(claims)} ${expected}`);
    }
  });

  test("a key trusted for one issuer never validates another issuer's tokens", async () => {
    const second = verifierFor([generateTestKey("k2").publicJwk], {
      id: "idp2",
      rules: { issuer: "https://idp2.example.test", audiences: new Set(["gw-api"]), leewaySec: 60 },
    });
    const both = createJwtCheck([verifier, second], createTokenCache(100));
    const token = mint({ sub: "alice", iss: "https://idp2.example.test" }, { kid: "k1" }, rsa);
    expect((await run(token, both)).reason).toBe("authn.jwt.unknown_kid");
  });

  test("keeps the RFC 8693 act chain, current actor first", async () => {
    const token = mint(
      { sub: "alice", act: { sub: "agent-7", act: { sub: "scheduler" } } },
      {},
      rsa,
    );
    expect((await run(token)).ctx.identity?.actorChain).toEqual(["agent-7", "scheduler"]);
  });

  test("refuses a token whose subject claim is missing or not a string", async () => {
    expect((await run(mint({ sub: 42 }, {}, rsa))).reason).toBe("authn.jwt.subject_missing");
    expect((await run(mint({}, {}, rsa))).reason).toBe("authn.jwt.subject_missing");
  });

  test("a cached token is allowed synchronously and only until exp plus leeway", async () => {
    const local = createTokenCache(100);
    const cached = createJwtCheck([verifier], local);
    // One reading of the clock: a second boundary between two now() calls made this flaky.
    const exp = now() + 2;
    const token = mint({ sub: "alice", exp }, {}, rsa);
    expect((await run(token, cached)).reason).toBe("allow");
    const second = cached(context(), token);
    expect(second instanceof Promise).toBe(false);
    const entry = local.get(local.keyOf(token), Date.now());
    expect(entry?.validUntilMs).toBe((exp + 60) * 1000);
    expect(local.get(local.keyOf(token), (exp + 61) * 1000)).toBeNull();
  });

  test("a cached token keeps to nbf and maxTokenAgeSec, not only to exp", async () => {
    const rules = {
      issuer: testIssuer,
      audiences: new Set(["gw-api"]),
      leewaySec: 0,
      maxTokenAgeSec: 3,
    };
    const aged = verifierFor([rsa.publicJwk], { rules });
    const local = createTokenCache(100);
    const iat = now();
    const payload = { iss: testIssuer, aud: "gw-api", sub: "a", iat, nbf: iat, exp: iat + 300 };
    const token = mint(payload, {}, rsa);
    expect((await run(token, createJwtCheck([aged], local))).reason).toBe("allow");

    const key = local.keyOf(token);
    const lastGoodMs = (iat + 4) * 1000 - 1;
    expect(validateClaims(payload, rules, Math.floor(lastGoodMs / 1000))).toBeNull();
    expect(validateClaims(payload, rules, iat + 4)).toBe("authn.jwt.too_old");
    expect(local.get(key, iat * 1000 - 1)).toBeNull();
    expect(local.get(key, lastGoodMs)).not.toBeNull();
    expect(local.get(key, (iat + 4) * 1000)).toBeNull();
    expect(local.get(key, lastGoodMs)).toBeNull();
    aged.close();
  });

  test("a key removed from the JWKS stops validating cached tokens", async () => {
    const server = startJwksServer([rsa]);
    const algorithms = new Set(["RS256"]);
    const remote = verifierFor([], {
      source: createRemoteJwksSource({
        url: server.url,
        algorithms,
        refreshIntervalMs: 1000,
        minRefetchIntervalMs: 60_000,
        fetchTimeoutMs: 500,
        retryIntervalMs: 1000,
        maxBytes: 65536,
      }),
    });
    try {
      const remoteCheck = createJwtCheck([remote], createTokenCache(100));
      const token = mint({ sub: "alice" }, {}, rsa);
      expect((await run(token, remoteCheck)).reason).toBe("allow");
      server.setKeys([generateTestKey("k9")]);
      const before = server.fetches();
      while (server.fetches() === before) await Bun.sleep(50);
      await Bun.sleep(50);
      expect((await run(token, remoteCheck)).reason).toBe("authn.jwt.unknown_kid");
    } finally {
      remote.close();
      server.stop();
    }
  });

  test("typ is enforced when configured", async () => {
    const strict = createJwtCheck(
      [verifierFor([rsa.publicJwk], { typ: "at+jwt" })],
      createTokenCache(0),
    );
    expect((await run(mint({ sub: "alice" }, { typ: "JWT" }, rsa), strict)).reason).toBe(
      "authn.jwt.typ_mismatch",
    );
    expect(
      (await run(mint({ sub: "alice" }, { typ: "application/at+jwt" }, rsa), strict)).reason,
    ).toBe("allow");
  });

  test("an issuer whose keys were never fetched fails by its onError mode", async () => {
    const server = startJwksServer([rsa]);
    server.setMode("503");
    const algorithms = new Set(["RS256"]);
    const remote = (onError: "deny" | "allow") =>
      verifierFor([], {
        onError,
        source: createRemoteJwksSource({
          url: server.url,
          algorithms,
          refreshIntervalMs: 60_000,
          minRefetchIntervalMs: 60_000,
          fetchTimeoutMs: 500,
          retryIntervalMs: 60_000,
          maxBytes: 65536,
        }),
      });
    const closed = remote("deny");
    const open = remote("allow");
    try {
      const token = mint({ sub: "alice" }, {}, rsa);
      const denied = await run(token, createJwtCheck([closed], createTokenCache(10)));
      expect(denied.verdict).toMatchObject({
        kind: "deny",
        code: "authn.unavailable",
        reason: "authn.jwt.keys_unavailable",
      });
      const passed = await run(token, createJwtCheck([open], createTokenCache(10)));
      expect(passed.reason).toBe("skip");
      expect(passed.ctx.identity).toBeNull();
    } finally {
      closed.close();
      open.close();
      server.stop();
    }
  });
});

afterAll(() => verifier.close());

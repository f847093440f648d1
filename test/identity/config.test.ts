import { describe, expect, test } from "bun:test";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { stringify } from "yaml";
import { ConfigError, parseConfigText } from "../../src/config/load.ts";

const base = {
  upstreams: { u1: { targets: ["http://127.0.0.1:9"] } },
  routes: [{ id: "r", path: "/r", upstream: "u1" }],
};

function problems(config: Record<string, unknown>): string[] {
  try {
    parseConfigText(stringify({ ...base, ...config }), "test.yaml", {});
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const issuer = {
  id: "idp",
  issuer: "https://idp.example.test",
  audience: "gw",
  jwksUrl: "http://127.0.0.1:1/jwks",
};

describe("identity config", () => {
  test("defaults: no consumers, no issuers, token endpoint off, EdDSA, 5 minute tokens", () => {
    const config = parseConfigText(stringify(base), "test.yaml", {});
    expect(config.identity.tokens).toMatchObject({
      endpoint: false,
      ttlSec: 300,
      algorithm: "EdDSA",
    });
    expect(config.routes[0]!.auth).toMatchObject({
      anonymous: false,
      apiKey: false,
      jwt: [],
      forwardCredentials: false,
    });
    expect(config.routes[0]!.auth.identityHeaders.subject).toBe("x-user-id");
  });

  test("refuses HMAC and none in an algorithm allow-list", () => {
    expect(
      problems({ identity: { issuers: [{ ...issuer, algorithms: ["HS256"] }] } }).join(),
    ).toContain("identity.issuers[0].algorithms[0]");
    expect(problems({ identity: { issuers: [{ ...issuer, algorithms: ["none"] }] } })).toHaveLength(
      1,
    );
  });

  test("needs exactly one key source and refuses private static keys", () => {
    expect(
      problems({ identity: { issuers: [{ ...issuer, jwksUrl: undefined }] } }).join(),
    ).toContain("exactly one of jwksUrl or keys");
    const privateJwk = { kty: "OKP", crv: "Ed25519", x: "AA", d: "BB" };
    const found = problems({
      identity: { issuers: [{ ...issuer, jwksUrl: undefined, keys: [{ jwk: privateJwk }] }] },
    });
    expect(found.join()).toContain("private or symmetric");
  });

  test("checks issuer references, unique ids and unique iss values", () => {
    const found = problems({
      identity: {
        issuers: [issuer, { ...issuer, id: "gateway" }, { ...issuer, id: "idp2" }],
        tokens: { exchangeIssuers: ["nope"] },
      },
      routes: [{ id: "r", path: "/r", upstream: "u1", auth: { jwt: ["idp", "missing"] } }],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'identity.issuers[1].id: duplicate or reserved issuer id "gateway"',
        "identity.issuers[2].issuer: another issuer (or the gateway) already uses this iss",
        'identity.tokens.exchangeIssuers[0]: unknown issuer "nope"',
        'routes[0].auth.jwt[1]: unknown issuer "missing"',
      ]),
    );
  });

  test("refuses duplicate consumer ids instead of keeping the last one", () => {
    const found = problems({
      identity: { consumers: [{ id: "acme" }, { id: "globex" }, { id: "acme", roles: ["admin"] }] },
    });
    expect(found).toEqual(['identity.consumers[2].id: duplicate consumer id "acme"']);
  });

  test("refuses static issuer keys that could never verify a token, naming the key", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const good = rsa.publicKey.export({ format: "jwk" });
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    const pem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();
    const keys = [
      { kid: "good", jwk: good },
      { kid: "nope", pem: "nope", alg: "RS256" },
      { kid: "tiny-n", jwk: { kty: "RSA", n: "AA", e: "AQAB" } },
      { kid: "1024", pem: pem(small), alg: "RS256" },
      { kid: "ec", pem: pem(ec), alg: "ES256" },
      { kid: "priv", pem: rsa.privateKey.export({ type: "pkcs8", format: "pem" }), alg: "RS256" },
      { kid: "good", jwk: good },
    ];
    const found = problems({
      identity: {
        issuers: [{ ...issuer, jwksUrl: undefined, algorithms: ["RS256"], keys }],
      },
    });
    const at = "identity.issuers[0].keys";
    expect(found).toEqual([
      `${at}[1].pem: not a PEM public key or certificate`,
      `${at}[2].jwk: RSA keys need a modulus of at least 2048 bits`,
      `${at}[3].pem: RSA keys need a modulus of at least 2048 bits`,
      `${at}[4].pem: key type, curve or alg fits none of the issuer's algorithms (RS256)`,
      `${at}[5].pem: a private key; give the SPKI public key`,
      `${at}[6]: another key of this issuer has this kid (or none)`,
    ]);
  });

  test("accepts usable static keys given as JWK or PEM", () => {
    const ed = generateKeyPairSync("ed25519").publicKey;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    const keys = [
      { kid: "a", jwk: rsa.export({ format: "jwk" }) },
      { kid: "b", pem: ed.export({ type: "spki", format: "pem" }).toString(), alg: "EdDSA" },
    ];
    expect(problems({ identity: { issuers: [{ ...issuer, jwksUrl: undefined, keys }] } })).toEqual(
      [],
    );
  });

  test("refuses identity headers that would overwrite credentials or framing", () => {
    const route = {
      id: "r",
      path: "/r",
      upstream: "u1",
      auth: { apiKey: true, identityHeaders: { subject: "Authorization" } },
    };
    expect(problems({ routes: [route] }).join()).toContain("this header cannot carry identity");
  });

  test("refuses a client-certificate route without a listener or trusted header", () => {
    const route = { id: "r", path: "/r", upstream: "u1", auth: { clientCert: true } };
    expect(problems({ routes: [route] }).join()).toContain("no identity.clientCert");
  });

  test("refuses unknown keys in the identity section", () => {
    expect(problems({ identity: { apiKey: {} } })).toEqual(["identity.apiKey: unknown key"]);
  });
});

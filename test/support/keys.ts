import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

/**
 * Test keys, a JWKS server and a token minter for the identity tests. Everything listens on
 * 127.0.0.1 and is generated fresh per run; nothing here is a real credential.
 */

export type TestAlgorithm = "RS256" | "PS256" | "ES256" | "EdDSA";

export interface TestKey {
  readonly kid: string;
  readonly alg: TestAlgorithm;
  readonly privateKey: KeyObject;
  /** Public JWK with `kid` (and `alg` unless `withoutAlg` was asked for). */
  readonly publicJwk: Record<string, unknown>;
}

export function generateTestKey(kid: string, alg: TestAlgorithm = "RS256"): TestKey {
  const pair =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : alg === "EdDSA"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = pair.publicKey.export({ format: "jwk" }) as Record<string, unknown>;
  return { kid, alg, privateKey: pair.privateKey, publicJwk: { ...jwk, kid, alg, use: "sig" } };
}

export const testIssuer = "https://idp.example.test";
export const testAudience = "gw-api";

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/**
 * Builds a compact JWS. Default header `{alg, typ: "JWT", kid}` from the key; default claims
 * iss/aud/iat/nbf/exp (now + 300 s). A claim or header member set to `undefined` is removed.
 * `signature` overrides the signature segment (e.g. "" for an empty one).
 */
export function mint(
  claims: Record<string, unknown>,
  header: Record<string, unknown>,
  key: TestKey,
  options: { signature?: string; signAs?: TestAlgorithm } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const fullHeader = dropUndefined({ alg: key.alg, typ: "JWT", kid: key.kid, ...header });
  const fullClaims = dropUndefined({
    iss: testIssuer,
    aud: testAudience,
    iat: now,
    nbf: now - 5,
    exp: now + 300,
    ...claims,
  });
  const input = `${b64(fullHeader)}.${b64(fullClaims)}`;
  if (options.signature !== undefined) return `${input}.${options.signature}`;
  return `${input}.${signWith(options.signAs ?? key.alg, input, key.privateKey)}`;
}

function signWith(alg: TestAlgorithm, input: string, key: KeyObject): string {
  const data = Buffer.from(input);
  switch (alg) {
    case "RS256":
      return sign("sha256", data, key).toString("base64url");
    case "PS256":
      return sign("sha256", data, { key, padding: 6, saltLength: 32 }).toString("base64url");
    case "ES256":
      return sign("sha256", data, { key, dsaEncoding: "ieee-p1363" }).toString("base64url");
    case "EdDSA":
      return sign(null, data, key).toString("base64url");
  }
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** How the JWKS server answers. */
export type JwksMode = "ok" | "503" | "invalid-json" | "html" | "empty-set" | "hang";

export interface JwksServer {
  readonly url: string;
  /** Requests received so far. */
  fetches(): number;
  setKeys(keys: readonly TestKey[]): void;
  setMode(mode: JwksMode): void;
  stop(): void;
}

/** A JWKS endpoint on 127.0.0.1 that can rotate keys, fail, send garbage or hang. */
export function startJwksServer(initial: readonly TestKey[]): JwksServer {
  let keys = initial;
  let mode: JwksMode = "ok";
  let count = 0;
  const hanging = new Set<() => void>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    fetch() {
      count++;
      switch (mode) {
        case "503":
          return new Response("down", { status: 503 });
        case "invalid-json":
          return new Response('{"keys": [', { headers: { "content-type": "application/json" } });
        case "html":
          return new Response("<html>maintenance</html>", {
            headers: { "content-type": "text/html" },
          });
        case "empty-set":
          return Response.json({ keys: [] });
        case "hang":
          return new Promise<Response>((resolve) => {
            const release = () => resolve(new Response("late", { status: 503 }));
            hanging.add(release);
            setTimeout(() => hanging.delete(release) && release(), 10_000).unref();
          });
        case "ok":
          return Response.json({ keys: keys.map((k) => k.publicJwk) });
      }
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/jwks.json`,
    fetches: () => count,
    setKeys: (next) => void (keys = next),
    setMode: (next) => void (mode = next),
    stop() {
      for (const release of hanging) release();
      server.stop(true);
    },
  };
}

export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Client certificates by common name, signed by the CA. */
  client(cn: string): { cert: string; key: string; pem: string };
  /** A CA and client certificate that the test CA did not issue. */
  readonly strangerPem: string;
}

/** Creates a throw-away CA, a 127.0.0.1 server certificate and client certificates with openssl. */
export function createTestCertificates(dir: string): TestCertificates {
  const run = (...args: string[]) => {
    const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`openssl ${args[0]}: ${result.stderr.toString()}`);
  };
  const newKey = (name: string) =>
    run(
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      `${name}.key`,
    );
  const signed = (name: string, subject: string, ca = "ca", ext?: string) => {
    newKey(name);
    run("req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
    const extArgs = ext ? ["-extfile", ext] : [];
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${name}.pem`,
      ...extArgs,
    );
  };
  const selfSigned = (name: string, subject: string) => {
    newKey(name);
    run(
      "req",
      "-x509",
      "-new",
      "-key",
      `${name}.key`,
      "-subj",
      subject,
      "-days",
      "2",
      "-out",
      `${name}.pem`,
    );
  };

  selfSigned("ca", "/CN=Portcullis Test CA");
  writeFileSync(`${dir}/server.ext`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  signed("server", "/CN=localhost", "ca", "server.ext");
  selfSigned("stranger-ca", "/CN=Stranger CA");
  signed("stranger", "/CN=partner-a", "stranger-ca");
  const read = (file: string) => readFileSync(`${dir}/${file}`, "utf8");
  return {
    dir,
    caFile: `${dir}/ca.pem`,
    serverCert: `${dir}/server.pem`,
    serverKey: `${dir}/server.key`,
    strangerPem: read("stranger.pem"),
    client(cn) {
      signed(`client-${cn}`, `/CN=${cn}/O=Test`);
      return {
        cert: `${dir}/client-${cn}.pem`,
        key: `${dir}/client-${cn}.key`,
        pem: read(`client-${cn}.pem`),
      };
    },
  };
}

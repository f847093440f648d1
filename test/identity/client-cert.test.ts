import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certListenerOf, startCertListeners } from "../../src/identity/cert-listeners.ts";
import { parseXfcc } from "../../src/identity/forwarded-cert.ts";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { createTestCertificates, type TestCertificates } from "../support/keys.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { admin } from "./fixtures.ts";

let certs: TestCertificates;
let u1: RecordingUpstream;
let trusting: GatewayProcess;
let distrusting: GatewayProcess;
let partnerPem: string;

const config = (trustedProxies: string[]) => ({
  upstreams: { u1: { targets: [u1.url] } },
  identity: {
    consumers: [
      { id: "partner-a", tenant: "ta", roles: ["partner"] },
      { id: "partner-b", roles: ["partner"] },
    ],
    clientCert: {
      forwarded: { format: "xfcc", trustedProxies, caFile: certs.caFile, subjectFrom: "cn" },
    },
  },
  routes: [
    {
      id: "mtls",
      path: "/mtls",
      upstream: "u1",
      auth: { clientCert: true },
      access: { authenticated: true },
    },
    { id: "pub", path: "/pub", upstream: "u1", auth: { anonymous: true } },
  ],
});

beforeAll(async () => {
  certs = createTestCertificates(mkdtempSync(join(tmpdir(), "portcullis-certs-")));
  partnerPem = certs.client("partner-a").pem;
  u1 = await startUpstream();
  trusting = await startGateway(config(["127.0.0.1"]));
  distrusting = await startGateway(config(["10.9.9.9"]));
});

afterAll(async () => {
  await trusting?.stop();
  await distrusting?.stop();
  u1?.stop();
});

const xfcc = (pem: string, extra = "") =>
  `Hash=abc;Cert="${encodeURIComponent(pem)}";Subject="CN=ignored";URI=spiffe://x${extra}`;

async function get(gw: GatewayProcess, path: string, header?: string) {
  const response = await fetch(`${gw.url}${path}`, {
    headers: header === undefined ? {} : { "x-forwarded-client-cert": header },
  });
  return response.status;
}

describe("client certificate from a trusted terminator's header", () => {
  test("maps a CA-issued certificate's CN to its consumer", async () => {
    expect(await get(trusting, "/mtls", xfcc(partnerPem))).toBe(200);
    const record = u1.records.at(-1)!;
    expect(record.headers.find(([n]) => n === "x-user-id")?.[1]).toBe("partner-a");
    expect(record.headers.find(([n]) => n === "x-tenant-id")?.[1]).toBe("ta");
    expect(record.headers.some(([n]) => n === "x-forwarded-client-cert")).toBe(false);
  });

  test("refuses another CA, several hops, unknown or disabled consumers", async () => {
    const before = u1.records.length;
    expect(await get(trusting, "/mtls", xfcc(certs.strangerPem))).toBe(401);
    expect(await get(trusting, "/mtls", `${xfcc(partnerPem)},By=spiffe://other`)).toBe(401);
    expect(await get(trusting, "/mtls", xfcc(certs.client("nobody").pem))).toBe(401);
    expect(await get(trusting, "/mtls", 'Cert="not-a-certificate"')).toBe(401);
    expect(await get(trusting, "/mtls")).toBe(401);

    const partnerB = certs.client("partner-b").pem;
    expect(await get(trusting, "/mtls", xfcc(partnerB))).toBe(200);
    expect((await admin(trusting, "POST", "/identity/consumers/partner-b/disable")).status).toBe(
      200,
    );
    expect(await get(trusting, "/mtls", xfcc(partnerB))).toBe(401);
    expect(u1.records.length).toBe(before + 1);
  });

  test("ignores and strips the header when the peer is not a trusted proxy", async () => {
    const before = u1.records.length;
    expect(await get(distrusting, "/mtls", xfcc(partnerPem))).toBe(401);
    expect(await get(distrusting, "/pub", xfcc(partnerPem))).toBe(200);
    expect(u1.records.length).toBe(before + 1);
    expect(u1.records.at(-1)!.headers.some(([n]) => n === "x-forwarded-client-cert")).toBe(false);
  });

  test("parses XFCC elements with quoted values and refuses several elements", () => {
    expect(parseXfcc('By=spiffe://gw;Hash=12;Subject="CN=a,O=b";URI=spiffe://a')).toEqual({
      By: "spiffe://gw",
      Hash: "12",
      Subject: "CN=a,O=b",
      URI: "spiffe://a",
    });
    expect(parseXfcc("Hash=1;URI=a,Hash=2;URI=b")).toBeNull();
    expect(parseXfcc('Subject="unterminated')).toBeNull();
  });
});

describe("client-certificate listener", () => {
  test("admits only clients of the CA and tags their requests with the listener id", async () => {
    let seen: string | undefined = "untouched";
    const [server] = startCertListeners(
      [
        {
          id: "partners",
          host: "127.0.0.1",
          port: 0,
          certFile: certs.serverCert,
          keyFile: certs.serverKey,
          caFile: certs.caFile,
          consumer: "partner-a",
        },
      ],
      (request) => {
        seen = certListenerOf(request);
        return new Response("ok");
      },
      { idleTimeout: 10, maxRequestBodySize: 1024 },
    );
    try {
      const url = `https://127.0.0.1:${server!.port}/`;
      const ca = readFileSync(certs.caFile, "utf8");
      const client = certs.client("partner-a");
      const tls = {
        ca,
        cert: readFileSync(client.cert, "utf8"),
        key: readFileSync(client.key, "utf8"),
      };
      const ok = await fetch(url, { tls });
      expect(ok.status).toBe(200);
      expect(seen).toBe("partners");

      seen = "untouched";
      const anonymous = await fetch(url, { tls: { ca } }).then(
        () => "served",
        () => "refused",
      );
      expect(anonymous).toBe("refused");
      const strangerKey = readFileSync(join(certs.dir, "stranger.key"), "utf8");
      const stranger = await fetch(url, {
        tls: { ca, cert: certs.strangerPem, key: strangerKey },
      }).then(
        () => "served",
        () => "refused",
      );
      expect(stranger).toBe("refused");
      expect(seen).toBe("untouched");
    } finally {
      server!.stop(true);
    }
  });
});

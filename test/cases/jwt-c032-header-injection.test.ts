import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint } from "../support/keys.ts";
import { sendRaw } from "../support/raw-http.ts";
import type { RecordingUpstream } from "../support/upstream.ts";
import { getRoute, startCaseGateway, staticIssuer } from "./jwt-case-support.ts";

const k1 = generateTestKey("k1");
let u1: RecordingUpstream;
let gw: GatewayProcess;

beforeAll(async () => {
  const auth = { jwt: ["idp"], identityHeaders: { email: "X-User-Email" } };
  ({ u1, gw } = await startCaseGateway({
    identity: { issuers: [staticIssuer(k1)] },
    routes: [
      getRoute("me", "/v1/me", auth, { authenticated: true }),
      { id: "pub", path: "/public/*", upstream: "u1", auth: { anonymous: true } },
    ],
  }));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

async function get(path: string, token?: string) {
  const auth = token ? `Authorization: Bearer ${token}\r\n` : "";
  return sendRaw(
    gw.port,
    `GET ${path} HTTP/1.1\r\nHost: gw.test\r\n${auth}Connection: close\r\n\r\n`,
  );
}

function assertCleanHeads() {
  for (const record of u1.records) {
    for (const [name, value] of record.headers) {
      expect(/[\r\n\0]/.test(value)).toBe(false);
      expect(["x-admin", "x-injected"]).not.toContain(name.toLowerCase());
    }
  }
}

describe("C032 CR/LF/NUL never reach upstream headers through derived values", () => {
  test("C032 drops a claim with CR/LF and refuses a subject with control characters", async () => {
    const crlf = mint(
      { sub: "alice", roles: ["user"], email: "a@example.test\r\nX-Admin: true" },
      {},
      k1,
    );
    expect((await get("/v1/me", crlf)).status).toBe(200);
    expect(u1.records.length).toBe(1);
    expect(u1.records[0]!.headers.filter(([n]) => n.toLowerCase() === "x-user-email")).toEqual([]);
    expect(u1.records[0]!.headers.filter(([n]) => n.toLowerCase() === "x-user-id")).toEqual([
      ["x-user-id", "alice"],
    ]);

    const nul = mint(
      { sub: "alice\nX-Admin: true", roles: ["user"], email: "a@example.test\u0000b" },
      {},
      k1,
    );
    expect([400, 401]).toContain((await get("/v1/me", nul)).status);
    expect(u1.records.length).toBe(1);

    const plain = mint({ sub: "alice", roles: ["user"], email: "a@example.test" }, {}, k1);
    expect((await get("/v1/me", plain)).status).toBe(200);
    expect(u1.records[1]!.headers.filter(([n]) => n.toLowerCase() === "x-user-email")).toEqual([
      ["x-user-email", "a@example.test"],
    ]);
    assertCleanHeads();
  });

  test("C032 an encoded CR/LF in an anonymous path stays encoded or is refused", async () => {
    const before = u1.records.length;
    const answer = await get("/public/a%0d%0aX-Injected:%201");
    expect([200, 400]).toContain(answer.status);
    if (answer.status === 200) expect(u1.records.at(-1)!.target.toLowerCase()).toContain("%0d%0a");
    else expect(u1.records.length).toBe(before);
    assertCleanHeads();
  });
});

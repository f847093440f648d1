import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint } from "../support/keys.ts";
import { sendRaw } from "../support/raw-http.ts";
import type { RecordingUpstream, UpstreamRecord } from "../support/upstream.ts";
import { getRoute, startCaseGateway, staticIssuer } from "./jwt-case-support.ts";

const k1 = generateTestKey("k1");
let u1: RecordingUpstream;
let gw: GatewayProcess;
const owned = ["x-user-id", "x-user-roles", "x-tenant-id"];

beforeAll(async () => {
  ({ u1, gw } = await startCaseGateway({
    identity: { issuers: [staticIssuer(k1)] },
    routes: [
      getRoute("me", "/v1/me", { jwt: ["idp"] }, { authenticated: true }),
      { id: "pub", path: "/public/*", upstream: "u1", auth: { anonymous: true } },
    ],
  }));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

/** Every value the upstream received under `name`, in any letter case. */
function received(record: UpstreamRecord, name: string): string[] {
  return record.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

function raw(path: string, lines: string[]): Promise<unknown> {
  const head = [`GET ${path} HTTP/1.1`, `Host: gw.test`, ...lines, "Connection: close", "", ""];
  return sendRaw(gw.port, head.join("\r\n"), { readMs: 2000 });
}

describe("C017 identity headers replace client-supplied ones", () => {
  test("C017 sets one gateway value per header, drops client copies in any case", async () => {
    const alice = mint({ sub: "alice", roles: ["user"], tenant: "t1" }, {}, k1);
    const noTenant = mint({ sub: "alice", roles: ["user"] }, {}, k1);

    await raw("/v1/me", [
      `Authorization: Bearer ${alice}`,
      "X-User-Id: ada",
      "X-User-Roles: admin",
      "X-Tenant-Id: t9",
    ]);
    await raw("/v1/me", [
      `Authorization: Bearer ${alice}`,
      "x-user-id: ada",
      "x-user-id: ada",
      "X-USER-ROLES: admin",
    ]);
    await raw("/v1/me", [`Authorization: Bearer ${noTenant}`, "X-Tenant-Id: t9"]);
    await raw("/public/x", [
      "X-User-Id: ada",
      "X-User-Roles: admin",
      "X-Tenant-Id: t9",
      "X-Portcullis-Trusted: yes",
    ]);

    expect(u1.records.length).toBe(4);
    const [first, second, third, anonymous] = u1.records as [
      UpstreamRecord,
      UpstreamRecord,
      UpstreamRecord,
      UpstreamRecord,
    ];
    for (const record of [first, second]) {
      expect(received(record, "x-user-id")).toEqual(["alice"]);
      expect(received(record, "x-user-roles")).toEqual(["user"]);
      expect(received(record, "x-tenant-id")).toEqual(["t1"]);
      expect(received(record, "authorization")).toEqual([]);
    }
    expect(received(third, "x-user-id")).toEqual(["alice"]);
    expect(received(third, "x-tenant-id")).toEqual([]);
    for (const name of [...owned, "x-portcullis-trusted"])
      expect(received(anonymous, name)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readRecords } from "../../src/audit/reader.ts";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { consumerWithKey, secretsFound } from "../identity/fixtures.ts";

let u1: RecordingUpstream;
let gw: GatewayProcess;
let key: string;

beforeAll(async () => {
  u1 = await startUpstream();
  gw = await startGateway({
    upstreams: { u1: { targets: [u1.url] } },
    routes: [
      {
        id: "items",
        path: "/v1/items",
        methods: ["GET"],
        upstream: "u1",
        auth: { apiKey: { header: "X-API-Key" } },
        access: { authenticated: true },
      },
    ],
  });
  ({ key } = await consumerWithKey(gw, { id: "alice", roles: ["user"] }));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

async function attempt(value: string | null) {
  const response = await fetch(`${gw.url}/v1/items`, {
    headers: value === null ? {} : { "x-api-key": value },
  });
  const requestId = response.headers.get("x-request-id") ?? "";
  const body = (await response.text()).replaceAll(requestId, "<id>");
  const headers = [...response.headers].filter(([n]) => n !== "date" && n !== "x-request-id");
  return { status: response.status, body, headers: JSON.stringify(headers), requestId };
}

const flip = (c: string) => (c === "a" ? "b" : "a");

describe("C018 uniform failure for wrong keys", () => {
  test("C018 answers every wrong key alike and records no consumer or hint", async () => {
    const random = Array.from(
      { length: key.length },
      () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 36)],
    ).join("");
    const inverted = [...key]
      .map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
      .join("");
    const wrong = [
      random,
      key.slice(0, -1) + flip(key.at(-1)!),
      flip(key[0]!) + key.slice(1),
      key.slice(0, -1),
      `${key}x`,
      inverted,
      "",
    ];
    const answers = await Promise.all(wrong.map((w) => attempt(w)));
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toBe(answers[0]!.body);
      expect(answer.headers).toBe(answers[0]!.headers);
    }
    expect((await attempt(null)).status).toBe(401);
    expect((await attempt(key)).status).toBe(200);
    expect(u1.records.length).toBe(1);

    await gw.stop();
    const denied = new Set(answers.map((a) => a.requestId));
    const records = [...readRecords(join(gw.dataDir, "audit"))].filter((r) =>
      denied.has(r.requestId),
    );
    expect(records.length).toBe(wrong.length);
    for (const record of records) {
      expect(record.subject).toBeNull();
      expect(record.credentialId).toBeNull();
      expect(record.reason).toStartWith("authn.api_key.");
      expect(JSON.stringify(record)).not.toContain("alice");
    }
    expect(
      secretsFound(gw, { key, ...Object.fromEntries(wrong.map((w, i) => [`wrong${i}`, w])) }),
    ).toEqual([]);
  });
});

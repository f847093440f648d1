import { afterEach, describe, expect, test } from "bun:test";
import { createRemoteJwksSource, type KeySource } from "../../src/identity/jwks-source.ts";
import { generateTestKey, startJwksServer, type JwksServer } from "../support/keys.ts";

const k1 = generateTestKey("k1");
const k2 = generateTestKey("k2");
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function setup(overrides: Partial<Parameters<typeof createRemoteJwksSource>[0]> = {}) {
  const server = startJwksServer([k1]);
  const source = createRemoteJwksSource({
    url: server.url,
    algorithms: new Set(["RS256"]),
    refreshIntervalMs: 60_000,
    minRefetchIntervalMs: 60_000,
    fetchTimeoutMs: 300,
    retryIntervalMs: 60_000,
    maxBytes: 64 * 1024,
    ...overrides,
  });
  cleanups.push(
    () => source.close(),
    () => server.stop(),
  );
  return { server, source };
}

async function found(source: KeySource, kid: string) {
  const result = await source.lookup(kid, "RS256");
  return "key" in result;
}

describe("remote JWKS source", () => {
  test("fetches once at start and answers known kids synchronously", async () => {
    const { server, source } = setup();
    expect(await found(source, "k1")).toBe(true);
    const again = source.lookup("k1", "RS256");
    expect(again instanceof Promise).toBe(false);
    expect(server.fetches()).toBe(1);
  });

  test("refetches once for an unknown kid, then not again within the interval", async () => {
    const { server, source } = setup();
    await found(source, "k1");
    server.setKeys([k1, k2]);
    expect(await found(source, "k2")).toBe(true);
    expect(server.fetches()).toBe(2);

    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => found(source, `random-${i}`)),
    );
    expect(burst.every((hit) => !hit)).toBe(true);
    expect(server.fetches()).toBe(2);
  });

  test("keeps the last good keys through 503, invalid JSON, HTML and an empty set", async () => {
    const { server, source } = setup({ refreshIntervalMs: 1000, retryIntervalMs: 1000 });
    await found(source, "k1");
    const generation = source.generation;
    for (const mode of ["503", "invalid-json", "html", "empty-set"] as const) {
      server.setMode(mode);
      const before = server.fetches();
      while (server.fetches() === before) await Bun.sleep(50);
      await Bun.sleep(30);
      expect(await found(source, "k1")).toBe(true);
    }
    expect(source.generation).toBe(generation);
  });

  test("drops a key the issuer removed at the next refresh and changes generation", async () => {
    const { server, source } = setup({ refreshIntervalMs: 1000 });
    await found(source, "k1");
    const generation = source.generation;
    server.setKeys([k2]);
    const before = server.fetches();
    while (server.fetches() === before) await Bun.sleep(50);
    await Bun.sleep(50);
    expect(await source.lookup("k1", "RS256")).toEqual({ missing: "unknown_kid" });
    expect(await found(source, "k2")).toBe(true);
    expect(source.generation).toBe(generation + 1);
  });

  test("a hung IdP never delays known keys; unknown kids wait at most the timeout", async () => {
    const { server, source } = setup({ minRefetchIntervalMs: 100 });
    await found(source, "k1");
    server.setMode("hang");
    const started = performance.now();
    expect(await found(source, "k-new")).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(source.lookup("k1", "RS256") instanceof Promise).toBe(false);
  });

  test("answers keys_unavailable when the first fetch failed", async () => {
    const server = startJwksServer([k1]);
    server.setMode("503");
    const source = createRemoteJwksSource({
      url: server.url,
      algorithms: new Set(["RS256"]),
      refreshIntervalMs: 60_000,
      minRefetchIntervalMs: 60_000,
      fetchTimeoutMs: 300,
      retryIntervalMs: 60_000,
      maxBytes: 65536,
    });
    cleanups.push(
      () => source.close(),
      () => server.stop(),
    );
    expect(await source.lookup("k1", "RS256")).toEqual({ missing: "keys_unavailable" });
  });

  test("never imports keys for algorithms off the allow-list", async () => {
    const { source } = setup({ algorithms: new Set(["ES256"]) });
    expect(await source.lookup("k1", "RS256")).toEqual({ missing: "keys_unavailable" });
  });
});

import { describe, expect, test } from "bun:test";
import { ConfigError, parseConfigText } from "../../../src/config/load.ts";

const base = `
upstreams:
  u1: { targets: ["http://127.0.0.1:9"] }
routes:
  - id: r1
    path: /r1
    upstream: u1
`;

function problems(extra: string): { path: string; message: string; line?: number }[] {
  try {
    parseConfigText(base + extra, "gw.yaml", { CLUSTER_KEY: "k".repeat(40) });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

describe("limits and cluster config sections", () => {
  test("a complete example validates and fills defaults", () => {
    const config = parseConfigText(
      `${base}    limits:
      - { id: per-ip, key: client-address, rate: 5, per: 60s }
rateLimits:
  limits: [{ id: site, key: global, ratePerSec: 1000, burst: 2000 }]
  consumers: { alice: [{ id: alice-total, rate: 5, per: 1m }] }
cluster:
  enabled: true
  seeds: ["127.0.0.1:7947"]
  keys: ["\${CLUSTER_KEY}"]
`,
      "gw.yaml",
      { CLUSTER_KEY: "k".repeat(40) },
    );
    expect(config.routes[0]!.limits![0]).toMatchObject({ cost: 1, mode: "enforce" });
    expect(config.rateLimits).toMatchObject({
      engine: "auto",
      maxKeys: 100_000,
      onMaxKeys: "shared",
    });
    expect(config.cluster).toMatchObject({ gossipIntervalMs: 100, partitionPolicy: "available" });
    expect(config.cluster.faultInjection).toBe(false);
  });

  test("an identity-keyed limit cannot run before authentication", () => {
    const found = problems(`    limits: [{ id: x, key: consumer, rate: 1, stage: pre-auth }]\n`);
    expect(found).toEqual([
      expect.objectContaining({
        path: "routes[0].limits[0].stage",
        message: expect.stringContaining("post-auth"),
      }),
    ]);
  });

  test("a limit needs one of rate/ratePerSec, a valid per, a cost within the burst", () => {
    const found = problems(`    limits:
      - { id: a, key: route }
      - { id: b, key: route, rate: 1, ratePerSec: 2 }
      - { id: c, key: route, rate: 1, per: soon }
      - { id: d, key: route, rate: 2, cost: 3 }
`);
    expect(found.map((p) => p.path)).toEqual([
      "routes[0].limits[0].rate",
      "routes[0].limits[1].rate",
      "routes[0].limits[2].per",
      "routes[0].limits[3].cost",
    ]);
    expect(found.every((p) => typeof p.line === "number")).toBe(true);
  });

  test("an enabled cluster needs keys of 32+ characters; probe timeout < interval", () => {
    expect(problems(`cluster: { enabled: true }\n`).map((p) => p.path)).toEqual(["cluster.keys"]);
    expect(problems(`cluster: { enabled: true, keys: [short] }\n`).map((p) => p.path)).toEqual([
      "cluster.keys[0]",
    ]);
    const timing = problems(`cluster: { probeIntervalMs: 500, probeTimeoutMs: 500 }\n`);
    expect(timing.map((p) => p.path)).toEqual(["cluster.probeTimeoutMs"]);
  });

  test("unknown keys in the limits and cluster sections are errors", () => {
    const found = problems(`rateLimits: { limitz: [] }\ncluster: { gossip: 1 }\n`);
    expect(found.length).toBe(2);
  });
});

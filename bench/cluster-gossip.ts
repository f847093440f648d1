#!/usr/bin/env bun
/**
 * Gossip cost for 3 nodes and 1,000 active keys: CPU and bytes per second per node. Each node is
 * its own process (a real GossipCluster on a loopback UDP port, the real GossipLimiter) taking
 * every key of its share in turn, 2,000 decisions per second. The baseline, in the same run,
 * is the same three processes with the local engine: the difference in CPU is what gossip
 * (counters, probes, HMAC) costs.
 *
 *   bun bench/cluster-gossip.ts [--keys 1000] [--seconds 8] [--interval-ms 100]
 */
import { parseArgs } from "node:util";
import { GossipCluster } from "../src/cluster/cluster.ts";
import { clusterSchema } from "../src/config/sections/cluster.ts";
import { GossipLimiter } from "../src/limit/gossip-limiter.ts";
import { createDecision } from "../src/limit/limit-rule.ts";
import { LocalLimiter } from "../src/limit/local-limiter.ts";
import type { RateLimiter } from "../src/limit/rate-limiter.ts";
import { createLogger } from "../src/log/logger.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean", default: false },
    id: { type: "string" },
    port: { type: "string" },
    seeds: { type: "string", default: "" },
    engine: { type: "string", default: "gossip" },
    keys: { type: "string", default: "1000" },
    seconds: { type: "string", default: "8" },
    "interval-ms": { type: "string", default: "100" },
    "start-at": { type: "string", default: "0" },
  },
});
const keyCount = Number(values.keys);
const seconds = Number(values.seconds);
const intervalMs = Number(values["interval-ms"]);
const decisionsPerSecond = 2_000;
const clusterKey = "bench-gossip-key-0123456789abcdef-0123";

interface NodeReport {
  id: string;
  engine: string;
  cpuMsPerSec: number;
  datagramsOutPerSec: number;
  bytesOutPerSec: number;
  bytesInPerSec: number;
  entriesSentPerSec: number;
  alivePeers: number;
}

if (values.child) await runNode();
else await runParent();

async function runNode(): Promise<void> {
  const logger = createLogger({ level: "silent", nodeId: values.id! });
  const options = { maxKeys: 100_000, onMaxKeys: "shared" as const, idleEvictMs: 60_000 };
  let cluster: GossipCluster | null = null;
  let limiter: RateLimiter;
  if (values.engine === "gossip") {
    const settings = clusterSchema.parse({
      enabled: true,
      bind: { host: "127.0.0.1", port: Number(values.port) },
      seeds: values.seeds!.split(",").filter(Boolean),
      keys: [clusterKey],
      gossipIntervalMs: intervalMs,
    });
    cluster = await GossipCluster.start({ ...settings, nodeId: values.id! }, logger);
    limiter = new GossipLimiter(cluster, options);
  } else {
    limiter = new LocalLimiter(options);
  }
  const table = limiter.table({ id: "bench:per-key", ratePerSec: 10, burst: 20 });
  const decision = createDecision();
  let next = 0;
  const takeSome = (count: number) => {
    for (let i = 0; i < count; i++) {
      limiter.check(table, `consumer-${next}`, 1, decision);
      if (decision.allowed) limiter.commit(decision);
      next = (next + 1) % keyCount;
    }
  };
  // Warm up until the common start instant: every key active everywhere, membership settled.
  const load = setInterval(() => takeSome(decisionsPerSecond / 100), 10);
  const startAt = Number(values["start-at"]);
  await Bun.sleep(Math.max(0, startAt - Date.now()));

  const cpu0 = process.cpuUsage();
  const stats0 = cluster?.stats();
  const limiter0 = limiter.stats() as unknown as Record<string, number>;
  const t0 = performance.now();
  await Bun.sleep(Math.max(0, startAt + seconds * 1000 - Date.now()));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats1 = cluster?.stats();
  const limiter1 = limiter.stats() as unknown as Record<string, number>;
  clearInterval(load);

  const rate = (after = 0, before = 0) => (after - before) / elapsed;
  const report: NodeReport = {
    id: values.id!,
    engine: values.engine!,
    cpuMsPerSec: (cpu.user + cpu.system) / 1000 / elapsed,
    datagramsOutPerSec: rate(stats1?.datagramsSent, stats0?.datagramsSent),
    bytesOutPerSec: rate(stats1?.bytesSent, stats0?.bytesSent),
    bytesInPerSec: rate(stats1?.bytesReceived, stats0?.bytesReceived),
    entriesSentPerSec: rate(limiter1.entriesSent, limiter0.entriesSent),
    alivePeers: cluster?.membership.live().length ?? 0,
  };
  console.log(`NODE_REPORT ${JSON.stringify(report)}`);
  // Nobody says goodbye before every node has taken its final readings.
  await Bun.sleep(1_000);
  await cluster?.close();
  limiter.close();
  process.exit(0);
}

async function runParent(): Promise<void> {
  console.error(
    `3 nodes, ${keyCount} active keys, ${decisionsPerSecond} decisions/s per node, ` +
      `gossip every ${intervalMs} ms, ${seconds} s measured`,
  );
  const local = await runPhase("local");
  const gossip = await runPhase("gossip");
  const mean = (rows: NodeReport[], pick: (r: NodeReport) => number) =>
    rows.reduce((a, r) => a + pick(r), 0) / rows.length;
  const lines = [
    "| per node (mean of 3) | local engine (baseline) | gossip engine | gossip cost |",
    "|---|---:|---:|---:|",
    row(
      "CPU, % of one core",
      mean(local, (r) => r.cpuMsPerSec / 10),
      mean(gossip, (r) => r.cpuMsPerSec / 10),
    ),
    row(
      "datagrams sent per second",
      0,
      mean(gossip, (r) => r.datagramsOutPerSec),
    ),
    row(
      "bytes sent per second",
      0,
      mean(gossip, (r) => r.bytesOutPerSec),
    ),
    row(
      "bytes received per second",
      0,
      mean(gossip, (r) => r.bytesInPerSec),
    ),
    row(
      "counter entries sent per second",
      0,
      mean(gossip, (r) => r.entriesSentPerSec),
    ),
  ];
  console.log(lines.join("\n"));
  const alive = gossip.map((r) => r.alivePeers).join(", ");
  console.log(`alive peers seen by each gossip node: ${alive}`);
}

function row(label: string, baseline: number, measured: number): string {
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  return `| ${label} | ${fmt(baseline)} | ${fmt(measured)} | ${fmt(measured - baseline)} |`;
}

async function runPhase(engine: "local" | "gossip"): Promise<NodeReport[]> {
  const sockets = await Promise.all(
    [0, 1, 2].map(() => Bun.udpSocket({ hostname: "127.0.0.1", port: 0 })),
  );
  const ports = sockets.map((s) => s.port);
  sockets.forEach((s) => s.close());
  const startAt = Date.now() + 3_000;
  const children = ports.map((port, i) =>
    Bun.spawn(
      [
        process.execPath,
        import.meta.path,
        "--child",
        "--id",
        `n${i}`,
        "--port",
        String(port),
        "--seeds",
        ports
          .filter((p) => p !== port)
          .map((p) => `127.0.0.1:${p}`)
          .join(","),
        "--engine",
        engine,
        "--keys",
        String(keyCount),
        "--seconds",
        String(seconds),
        "--interval-ms",
        String(intervalMs),
        "--start-at",
        String(startAt),
      ],
      { stdout: "pipe", stderr: "inherit" },
    ),
  );
  const outputs = await Promise.all(children.map((child) => new Response(child.stdout).text()));
  return outputs.map((text) => {
    const line = text.split("\n").find((l) => l.startsWith("NODE_REPORT "));
    if (!line) throw new Error(`a ${engine} node reported nothing:\n${text}`);
    return JSON.parse(line.slice("NODE_REPORT ".length)) as NodeReport;
  });
}

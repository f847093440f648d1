import { startGateway, type GatewayProcess } from "../support/gateway.ts";

/** Shared by the multi-process cluster tests: nodes on loopback, admin calls, paced load. */
export const clusterKey = "test-cluster-key-0123456789abcdef-0123";
export const limit = { ratePerSec: 100, burst: 100 };
export const ruleId = "route:limited:cluster-wide";

export interface ClusterNode {
  readonly id: string;
  readonly udpPort: number;
  gw: GatewayProcess;
}

/** Free UDP ports on 127.0.0.1 (bound, then released). */
export async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from({ length: count }, () => Bun.udpSocket({ hostname: "127.0.0.1", port: 0 })),
  );
  const ports = sockets.map((s) => s.port);
  for (const socket of sockets) socket.close();
  return ports;
}

export interface NodeOptions {
  readonly key?: string;
  readonly partitionPolicy?: "available" | "conservative";
}

export function nodeConfig(
  id: string,
  udpPort: number,
  seeds: number[],
  upstreamUrl: string,
  options: NodeOptions = {},
) {
  return {
    nodeId: id,
    upstreams: { u1: { targets: [upstreamUrl] } },
    routes: [
      {
        id: "limited",
        path: "/limited",
        upstream: "u1",
        auth: { anonymous: true },
        limits: [{ id: "cluster-wide", key: "global", ...limit }],
      },
    ],
    log: { level: "warn" },
    cluster: {
      enabled: true,
      bind: { host: "127.0.0.1", port: udpPort },
      seeds: seeds.map((p) => `127.0.0.1:${p}`),
      keys: [options.key ?? "${CLUSTER_KEY}"],
      gossipIntervalMs: 100,
      probeIntervalMs: 500,
      probeTimeoutMs: 200,
      suspectTimeoutMs: 1_500,
      partitionPolicy: options.partitionPolicy ?? "available",
      faultInjection: true,
    },
  };
}

export async function startNode(
  id: string,
  udpPort: number,
  seeds: number[],
  upstreamUrl: string,
  options: NodeOptions & { dir?: string } = {},
): Promise<GatewayProcess> {
  return startGateway(nodeConfig(id, udpPort, seeds, upstreamUrl, options), {
    env: { CLUSTER_KEY: clusterKey },
    dir: options.dir,
  });
}

/** Starts `count` nodes n0..n(count-1), each seeded with all the others. */
export async function startCluster(count: number, upstreamUrl: string, options: NodeOptions = {}) {
  const ports = await freeUdpPorts(count);
  const gateways = await Promise.all(
    ports.map((port, i) =>
      startNode(
        `n${i}`,
        port,
        ports.filter((p) => p !== port),
        upstreamUrl,
        options,
      ),
    ),
  );
  const nodes: ClusterNode[] = gateways.map((gw, i) => ({ id: `n${i}`, udpPort: ports[i]!, gw }));
  const converged = await waitFor(async () => {
    const views = await Promise.all(nodes.map((n) => members(n.gw)));
    return views.every((v) => v.filter((m) => m.state === "alive").length === count - 1);
  }, 5_000);
  if (!converged) throw new Error("cluster did not converge");
  return nodes;
}

export async function adminJson<T>(gw: GatewayProcess, path: string, body?: unknown): Promise<T> {
  const init: RequestInit =
    body === undefined
      ? {}
      : {
          method: "POST",
          headers: { authorization: `Bearer ${gw.adminToken}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        };
  const response = await fetch(gw.adminUrl + path, init);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export interface MemberView {
  id: string;
  state: string;
  incarnation: number;
}

export async function members(gw: GatewayProcess): Promise<MemberView[]> {
  return (await adminJson<{ members: MemberView[] }>(gw, "/cluster/members")).members;
}

export async function clusterCounters(gw: GatewayProcess) {
  return adminJson<{ cluster: Record<string, number>; limiter: Record<string, number> }>(
    gw,
    "/cluster/counters",
  );
}

export interface KeyState {
  level: number;
  share: number;
  own: number;
  peers: { peer: string; incarnation: number; count: number; demand: number }[];
}

/** A node's gossip state for the cluster-wide limit (whose key is "" : `key: global`). */
export async function inspectKey(gw: GatewayProcess): Promise<KeyState> {
  return adminJson<KeyState>(gw, `/cluster/limiter/key?rule=${encodeURIComponent(ruleId)}&key=`);
}

export async function setFaults(
  gw: GatewayProcess,
  faults: { dropProbability?: number; blockedPeers?: string[] },
) {
  return adminJson(gw, "/cluster/faults", faults);
}

export async function waitFor(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await Bun.sleep(50);
  }
  return probe();
}

export interface LoadResult {
  /** Admitted (200) requests per second of the run, by send time. */
  readonly perSecond: number[];
  /** Admitted requests per target. */
  readonly perTarget: number[];
  readonly refused: number;
  /** Requests that got no HTTP answer (node down). */
  readonly failed: number;
}

/**
 * Sends `rates[i]` requests per second to `targets[i]()` for `seconds`, paced every 10 ms from
 * the clock (not from the previous send), without waiting for answers. `targets` are functions
 * so a restarted node's new URL is picked up. `at` runs scheduled actions (faults, kills).
 */
export async function paceLoad(
  targets: (() => string)[],
  rates: number[],
  seconds: number,
  at: { second: number; run: () => unknown }[] = [],
): Promise<LoadResult> {
  const start = performance.now();
  const sent = rates.map(() => 0);
  const pending: Promise<void>[] = [];
  const perSecond = Array.from({ length: Math.ceil(seconds) }, () => 0);
  const perTarget = rates.map(() => 0);
  let refused = 0;
  let failed = 0;
  const actions = [...at].sort((a, b) => a.second - b.second);

  for (;;) {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) break;
    while (actions.length > 0 && actions[0]!.second <= elapsed)
      pending.push(Promise.resolve(actions.shift()!.run()).then(() => {}));
    rates.forEach((rate, i) => {
      const due = Math.floor(rate * elapsed);
      for (; sent[i]! < due; sent[i]!++) {
        const bucket = Math.min(perSecond.length - 1, Math.floor(elapsed));
        const url = `${targets[i]!()}/limited`;
        pending.push(
          fetch(url, { signal: AbortSignal.timeout(3_000) }).then(
            async (response) => {
              await response.arrayBuffer();
              if (response.status === 200) {
                perSecond[bucket]!++;
                perTarget[i]!++;
              } else refused++;
            },
            () => void failed++,
          ),
        );
      }
    });
    await Bun.sleep(10);
  }
  await Promise.all(pending);
  return { perSecond, perTarget, refused, failed };
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

import type { Subprocess } from "bun";
import { randomBytes } from "node:crypto";
import type { GatewayConfig } from "../config/schema.ts";
import type { ClusterConfig } from "../config/sections/cluster.ts";
import type { ClusterSettings } from "./cluster.ts";

/** This process's place among its siblings when started by `serve --workers N`. */
export interface WorkerInfo {
  readonly index: number;
  readonly count: number;
  /** Gossip UDP port of every worker, by index, all on 127.0.0.1. */
  readonly gossipPorts: readonly number[];
  /** Shared cluster key when the config has no cluster of its own. */
  readonly key: string | null;
}

const env = {
  index: "PORTCULLIS_WORKER_INDEX",
  count: "PORTCULLIS_WORKER_COUNT",
  ports: "PORTCULLIS_WORKER_GOSSIP_PORTS",
  key: "PORTCULLIS_WORKER_CLUSTER_KEY",
} as const;

/** Null unless this process is a worker. */
export function workerInfo(): WorkerInfo | null {
  const index = process.env[env.index];
  if (index === undefined) return null;
  return {
    index: Number(index),
    count: Number(process.env[env.count]),
    gossipPorts: (process.env[env.ports] ?? "").split(",").map(Number),
    key: process.env[env.key] ?? null,
  };
}

/**
 * Cluster settings for this process. A worker is always a cluster member: on its own port, with
 * its siblings as seeds, named `<nodeId>-w<index>`. With no cluster configured the workers form
 * a private one on 127.0.0.1 with a key the supervisor generated, so limits and revocations hold
 * across the cores of one machine exactly as across machines.
 */
export function workerClusterOverrides(config: ClusterConfig, nodeId: string): ClusterSettings {
  const worker = workerInfo();
  if (!worker) return { ...config, nodeId };
  const siblings = worker.gossipPorts
    .filter((_, i) => i !== worker.index)
    .map((p) => `127.0.0.1:${p}`);
  const own = { nodeId: `${nodeId}-w${worker.index}`, extraSeeds: siblings };
  const port = worker.gossipPorts[worker.index]!;
  if (config.enabled) return { ...config, ...own, bind: { host: config.bind.host, port } };
  return {
    ...config,
    ...own,
    enabled: true,
    bind: { host: "127.0.0.1", port },
    seeds: [],
    keys: [worker.key!],
    clusterId: `${config.clusterId}/workers`,
  };
}

/** Tells the supervisor this worker is listening (no-op when not a worker). */
export function notifyWorkerReady(details: Record<string, unknown> = {}): void {
  if (workerInfo() && process.send) process.send({ type: "portcullis.ready", ...details });
}

export interface WorkerPool {
  /** Resolves when every worker reported ready (or rejects if one exits first). */
  readonly ready: Promise<void>;
  /** Forwards SIGTERM, waits for all workers, resolves with 0 if all exited cleanly. */
  stop(): Promise<number>;
  /** Settles when the pool ended (after stop, or after a worker failed too often). */
  readonly exited: Promise<number>;
}

/** Restarts allowed per worker per minute before the supervisor gives up. */
const maxRestartsPerMinute = 5;

/**
 * Runs `n` gateway processes (`argv` are the serve arguments without `--workers`) sharing one
 * port through SO_REUSEPORT (the lead's serve must pass `reusePort: true` when `workerInfo()` is
 * set). Restarts a worker that dies, forwards SIGTERM/SIGINT/SIGHUP, and exits when all workers
 * have exited after a stop.
 */
export async function startWorkers(
  n: number,
  argv: readonly string[],
  config?: GatewayConfig,
): Promise<WorkerPool> {
  if (!Number.isInteger(n) || n < 1) throw new TypeError("--workers must be a positive integer");
  const ports = await gossipPorts(n, config?.cluster);
  const key = config?.cluster.enabled ? null : randomBytes(32).toString("base64url");
  const entry = isCompiled() ? [] : [Bun.main];
  const command = [process.execPath, ...entry, ...argv];
  const children: (Subprocess | null)[] = new Array(n).fill(null);
  const restarts: number[][] = Array.from({ length: n }, () => []);
  const readyFlags = new Array<boolean>(n).fill(false);
  let stopping = false;
  let settle: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (settle = resolve));
  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });

  const spawn = (index: number) => {
    const child = Bun.spawn([...command], {
      env: {
        ...process.env,
        [env.index]: String(index),
        [env.count]: String(n),
        [env.ports]: ports.join(","),
        ...(key ? { [env.key]: key } : {}),
      },
      stdio: ["ignore", "inherit", "inherit"],
      ipc: (message) => {
        if ((message as { type?: string })?.type !== "portcullis.ready") return;
        readyFlags[index] = true;
        if (readyFlags.every(Boolean)) markReady();
      },
      serialization: "json",
    });
    children[index] = child;
    void child.exited.then((code) => onExit(index, child, code));
  };

  const onExit = (index: number, child: Subprocess, code: number) => {
    if (children[index] === child) children[index] = null;
    if (stopping) {
      if (children.every((c) => c === null)) settle(code === 0 ? 0 : 1);
      return;
    }
    const now = Date.now();
    restarts[index] = restarts[index]!.filter((t) => now - t < 60_000).concat(now);
    if (restarts[index]!.length > maxRestartsPerMinute) {
      failReady(new Error(`worker ${index} keeps exiting (code ${code})`));
      void stop().then(() => settle(1));
      return;
    }
    console.error(`portcullis worker ${index} exited with code ${code}; restarting`);
    setTimeout(() => !stopping && spawn(index), 500);
  };

  const stop = async (): Promise<number> => {
    stopping = true;
    for (const child of children) child?.kill("SIGTERM");
    if (children.every((c) => c === null)) settle(0);
    return exited;
  };

  for (let i = 0; i < n; i++) spawn(i);
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void stop());
  process.on("SIGHUP", () => children.forEach((child) => child?.kill("SIGHUP")));
  return { ready, stop, exited };
}

/** Configured base port + index, or free ports picked now (bound, then released). */
async function gossipPorts(n: number, cluster?: ClusterConfig): Promise<number[]> {
  if (cluster?.enabled && cluster.bind.port !== 0) {
    return Array.from({ length: n }, (_, i) => cluster.bind.port + i);
  }
  const sockets = await Promise.all(
    Array.from({ length: n }, () => Bun.udpSocket({ hostname: "127.0.0.1", port: 0 })),
  );
  const ports = sockets.map((s) => s.port);
  for (const socket of sockets) socket.close();
  return ports;
}

/** A `bun build --compile` binary runs its embedded entry point; it must not be passed again. */
function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || Bun.main.includes("~BUN");
}

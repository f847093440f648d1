import { join } from "node:path";
import { pinTree, spawnBounded } from "../e2e/processes.ts";
import { benchPath } from "../e2e/gateway-configs.ts";
import { readyOrStop, runningProcess, type Target } from "../e2e/target.ts";
import { waitForBenchBody } from "../e2e/http-probe.ts";

export { caddyTarget } from "./caddy.ts";
export { nginxTarget } from "./nginx.ts";

/**
 * Straight to the upstream: the floor every proxy adds its cost to. While it is measured the
 * upstream moves to the proxy's core, so it runs alone there as each proxy does (the load
 * generator keeps its own core), and moves back afterwards.
 */
export const directTarget: Target = {
  id: "direct",
  label: "direct (no proxy)",
  kind: "floor",
  headers: {},
  async start(context) {
    if (context.cpus !== null) pinTree(context.upstreamPid, context.cpus);
    return {
      url: context.upstreamUrl,
      process: null,
      stop: async () => {
        if (context.upstreamCpus !== null) pinTree(context.upstreamPid, context.upstreamCpus);
      },
    };
  },
};

/** The minimal Bun `fetch` pass-through in bun-proxy.ts. */
export const bunProxyTarget: Target = {
  id: "bun-proxy",
  label: "Bun fetch proxy",
  kind: "peer",
  headers: {},
  async start(context) {
    const proc = spawnBounded({
      name: "bun-proxy",
      command: [process.execPath, join(import.meta.dir, "bun-proxy.ts")],
      cpus: context.cpus,
      budgetS: context.budgetS,
      env: { PORT: "0", UPSTREAM_URL: context.upstreamUrl },
    });
    const url = await readyOrStop(proc, async () => {
      const match = await proc.waitFor(/bun-proxy listening port=(\d+)/, 10_000);
      const origin = `http://127.0.0.1:${match[1]}`;
      await waitForBenchBody(origin + benchPath, {}, 5_000);
      return origin;
    });
    return runningProcess(url, proc);
  },
};

import type { Command } from "commander";
import { ConfigError } from "../config/load.ts";
import { AuditStartError } from "../audit/trail.ts";
import { availableParallelism } from "node:os";
import { Gateway } from "../server/gateway.ts";
import { notifyWorkerReady, startWorkers, workerInfo } from "../cluster/workers.ts";
import { loadGatewayConfig } from "../server/load-config.ts";

export const defaultConfigPath = "config/gateway.yaml";

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("Run the gateway on a config file")
    .option("-c, --config <file>", "config file", defaultConfigPath)
    .option("-p, --port <port>", "override the proxy listener port", parsePort)
    .option(
      "-w, --workers <n>",
      "processes sharing the port (SO_REUSEPORT), each a gossip member; default: one per core",
      parseCount,
    )
    .action(async (options: { config: string; port?: number; workers?: number }) => {
      const workers = options.workers ?? defaultWorkerCount(options.config, options.port);
      // A worker started by the supervisor, or a single process: serve here.
      if (workerInfo() || workers === 1) {
        await serve(options.config, { port: options.port, reusePort: workerInfo() !== null });
        notifyWorkerReady();
        return;
      }
      await superviseWorkers(options.config, workers, options.port);
    });
}

/** Starts N worker processes on one port and stays in front of them until they exit. */
async function superviseWorkers(configPath: string, workers: number, port?: number) {
  let config;
  try {
    config = loadGatewayConfig(configPath).config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  if ((port ?? config.listen.port) === 0) {
    console.error("--workers needs a fixed listen.port: port 0 would give each worker its own");
    process.exit(1);
  }
  const portArgs = port !== undefined ? ["--port", String(port)] : [];
  const argv = ["serve", "--config", configPath, ...portArgs];
  const pool = await startWorkers(workers, argv, config);
  await pool.ready;
  const host = config.listen.host;
  const url = `http://${host}:${port ?? config.listen.port}`;
  console.log(`portcullis supervising ${workers} workers on ${url}`);
  process.exit(await pool.exited);
}

/**
 * One worker per core, except where workers cannot share a port: a config on port 0 (each
 * worker would get its own) runs as one process. An unreadable config also gets one, so the
 * single process reports the config problem itself.
 */
function defaultWorkerCount(configPath: string, port?: number): number {
  try {
    const { config } = loadGatewayConfig(configPath);
    return (port ?? config.listen.port) === 0 ? 1 : availableParallelism();
  } catch {
    return 1;
  }
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new Error(`not a worker count: ${value}`);
  return count;
}

/**
 * Starts one gateway process and wires the signals: SIGHUP reloads (an invalid new config is
 * rejected and the old one keeps serving), SIGTERM and SIGINT drain and exit 0.
 */
export async function serve(configPath: string, overrides: { port?: number; reusePort?: boolean }) {
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({ configPath, ...overrides });
  } catch (error) {
    // Start-up failures the operator must fix: one clear message, no stack trace.
    if (error instanceof ConfigError || error instanceof AuditStartError) {
      console.error(error.message);
      process.exit(1);
    }
    // Anything else that stops a start (a port in use, an address that is not ours, an
    // unusable log file) is an operator problem as well: one line, no stack trace.
    console.error(`portcullis: cannot start: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
  // One plain line for people and scripts, whatever the log destination.
  console.log(`portcullis listening proxy=${gateway.proxyUrl} admin=${gateway.adminUrl}`);

  process.on("SIGHUP", () => {
    gateway.reload().catch((error: unknown) => {
      const problems = error instanceof ConfigError ? error.problems : String(error);
      gateway.logger.warn({ problems }, "reload rejected; old config serves");
    });
  });
  const stop = () => {
    gateway.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return gateway;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`not a port number: ${value}`);
  }
  return port;
}

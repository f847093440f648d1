import type { Command } from "commander";
import { ConfigError } from "../config/load.ts";
import { Gateway } from "../server/gateway.ts";

export const defaultConfigPath = "config/gateway.yaml";

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("Run the gateway on a config file")
    .option("-c, --config <file>", "config file", defaultConfigPath)
    .option("-p, --port <port>", "override the proxy listener port", parsePort)
    .action(async (options: { config: string; port?: number }) => {
      await serve(options.config, { port: options.port });
    });
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
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
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

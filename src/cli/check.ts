import type { Command } from "commander";
import { ConfigError } from "../config/load.ts";
import { loadGatewayConfig } from "../server/load-config.ts";
import { defaultConfigPath } from "./serve.ts";

export function registerCheckCommand(program: Command): void {
  program
    .command("check")
    .description("Validate a config file without starting; exit 0 when usable, 1 otherwise")
    .argument("[file]", "config file", defaultConfigPath)
    .action((file: string) => {
      process.exitCode = checkConfig(file);
    });
}

/** Prints every problem with its file, line and path; returns the exit code. */
export function checkConfig(file: string): number {
  try {
    const { config, warnings } = loadGatewayConfig(file);
    for (const warning of warnings) console.log(`  warning  ${warning.path}: ${warning.message}`);
    const note = warnings.length > 0 ? `, ${warnings.length} warning(s)` : "";
    console.log(`${file}: ok (${config.routes.length} routes${note})`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
}

import type { Command } from "commander";
import { ConfigError, loadConfigFile } from "../config/load.ts";
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
    const config = loadConfigFile(file);
    console.log(`${file}: ok (${config.routes.length} routes)`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
}

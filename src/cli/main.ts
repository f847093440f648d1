import { Command } from "commander";
import { registerServeCommand } from "./serve.ts";
import { registerCheckCommand } from "./check.ts";
import { registerDemoCommand } from "./demo.ts";
import { registerPolicyCommand } from "./policy.ts";
import { registerAuditCommand } from "./audit.ts";
import { registerKeysCommand } from "./keys.ts";
import { registerConsumersCommand } from "./consumers.ts";
import packageJson from "../../package.json" with { type: "json" };

/** The `portcullis` command line. Each subsystem adds its subcommand with one line below. */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = new Command()
    .name("portcullis")
    .description("Throughput-first API gateway: authenticate, authorize, rate limit, proxy, audit.")
    .version(packageJson.version)
    .showHelpAfterError()
    .enablePositionalOptions();

  registerServeCommand(program);
  registerCheckCommand(program);
  registerDemoCommand(program);
  registerPolicyCommand(program);
  registerAuditCommand(program);
  registerKeysCommand(program);
  registerConsumersCommand(program);

  await program.parseAsync([...argv]);
}

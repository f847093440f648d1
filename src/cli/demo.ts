import type { Command } from "commander";
import { demoApis, serveDemoApi, type DemoApiName } from "../demo/demo-apis.ts";
import { defaultConfigPath, parsePort, serve } from "./serve.ts";

/** How to start this same program again: the compiled binary alone, or bun plus the entry file. */
function selfCommand(): string[] {
  return Bun.main.endsWith(".ts") ? [process.execPath, Bun.main] : [process.execPath];
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("Run the bundled demo: three demo APIs plus the gateway on config/gateway.yaml")
    .option("-c, --config <file>", "gateway config", defaultConfigPath)
    .action(async (options: { config: string }) => runDemo(options.config));

  program
    .command("demo-api", { hidden: true })
    .argument("<name>", "invoices | telemetry | payments")
    .argument("<port>", "port", parsePort)
    .action((name: string, port: number) => {
      if (!(name in demoApis)) throw new Error(`unknown demo api ${name}`);
      serveDemoApi(name as DemoApiName, port);
    });
}

async function runDemo(configPath: string) {
  const children = Object.entries(demoApis).map(([name, api]) =>
    Bun.spawn([...selfCommand(), "demo-api", name, String(api.port)], {
      stdout: "inherit",
      stderr: "inherit",
    }),
  );
  // The demo APIs die with the demo: stop them by PID on any exit path.
  const stopChildren = () => children.forEach((child) => child.kill());
  process.on("exit", stopChildren);

  const gateway = await serve(configPath, {});
  printWelcome(gateway.proxyUrl, gateway.adminUrl);
}

function printWelcome(proxy: string, admin: string) {
  console.log(`
Portcullis demo is running.
  gateway  ${proxy}
  admin    ${admin}
  demo APIs: invoices :${demoApis.invoices.port}, telemetry :${demoApis.telemetry.port}, ` +
    `payments :${demoApis.payments.port} (127.0.0.1 only)

Try:
  curl -s ${proxy}/public/status
  curl -s ${admin}/healthz

Ctrl-C stops everything.
`);
}

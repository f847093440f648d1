import type { Command } from "commander";
import { demoApis, serveDemoApi, type DemoApiName } from "../demo/demo-apis.ts";
import { issueDemoKeys } from "../demo/demo-keys.ts";
import { ConfigError } from "../config/load.ts";
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

  let keys: Record<string, string>;
  try {
    keys = issueDemoKeys(configPath, ["telemetry-agent", "vendor-a-app", "finance-app"]);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    stopChildren();
    process.exit(1);
  }
  const gateway = await serve(configPath, {});
  await Promise.all(Object.values(demoApis).map((api) => waitUntilListening(api.port)));
  console.log(demoWelcome(gateway.proxyUrl, gateway.adminUrl, configPath, keys));
}

/** The printed examples must work as soon as they are printed, so wait for every demo API. */
async function waitUntilListening(port: number) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(200) })
      .then(() => true, () => false);
    if (up) return;
    await Bun.sleep(50);
  }
  console.error(`demo API on port ${port} did not start; the examples that use it will fail`);
}

/**
 * The welcome text. Each example is a comment naming the status it shows, then a command that
 * works as printed (the demo test runs every one of them).
 */
export function demoWelcome(
  proxy: string,
  admin: string,
  configPath: string,
  keys: Record<string, string>,
): string {
  const agent = keys["telemetry-agent"];
  const vendorA = keys["vendor-a-app"];
  const finance = keys["finance-app"];
  const cli = Bun.main.endsWith(".ts") ? "npx bun src/main.ts" : process.execPath;
  // Each example prints the body, then the status code on a line of its own.
  const status = "-w '\\n%{http_code}\\n'";
  const charge = `${proxy}/payments/charge -d '{"amountCents":100}'`;
  const exchange = `-d grant_type=client_credentials -d client_secret=${vendorA}`;
  const explain = "--identity telemetry-agent --method POST --path /payments/charge";
  return `
Portcullis demo is running.
  gateway  ${proxy}
  admin    ${admin}
  demo APIs: invoices :${demoApis.invoices.port}, telemetry :${demoApis.telemetry.port}, \
payments :${demoApis.payments.port} (127.0.0.1 only)

Demo API keys, issued just now (only their hashes are stored; they expire in a day):
  telemetry-agent  ${agent}
  vendor-a-app     ${vendorA}
  finance-app      ${finance}

Try (each prints the body, then the status its comment names):
  # 200: anyone may read the service status (5 requests per 10 s per address)
  curl -s ${status} ${proxy}/public/status
  # 200: the telemetry agent reads telemetry
  curl -s ${status} -H 'X-API-Key: ${agent}' ${proxy}/telemetry/cpu
  # 403: the telemetry agent may never invoke payments
  curl -s ${status} -X POST -H 'X-API-Key: ${agent}' ${charge}
  # 200: finance may
  curl -s ${status} -X POST -H 'X-API-Key: ${finance}' ${charge}
  # 200: vendor A reads its own invoices
  curl -s ${status} -H 'X-API-Key: ${vendorA}' ${proxy}/tenants/vendor-a/invoices
  # 403: vendor A's key does not reach vendor B's records
  curl -s ${status} -H 'X-API-Key: ${vendorA}' ${proxy}/tenants/vendor-b/invoices
  # 401: no credential
  curl -s ${status} ${proxy}/telemetry/cpu
  # 200: exchange vendor A's key for a 5-minute token signed by the gateway
  curl -s ${status} -X POST ${proxy}/oauth/token ${exchange}
  # 200: health of the gateway itself
  curl -s ${status} ${admin}/healthz

Then, in another terminal:
  ${cli} audit query --config ${configPath} --decision deny
  ${cli} policy explain --config ${configPath} ${explain}

Ctrl-C stops everything.
`;
}

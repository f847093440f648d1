import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { createJwtIssuer, provisionApiKey, type JwtIssuer } from "./credentials.ts";
import {
  benchPath, buildGatewayConfig, gatewayLadder, limitProbePath, policyProbePath,
  type ConfigEnvironment, type GatewayConfigSpec,
} from "./gateway-configs.ts";
import { freePort, probe, waitForBenchBody } from "./http-probe.ts";
import { spawnBounded } from "./processes.ts";
import {
  readyOrStop, runningProcess, type RunningTarget, type StartContext, type Target,
} from "./target.ts";

export const repoRoot = resolve(import.meta.dir, "../..");

/** Shared by every gateway config of one run: the credentials and the store holding the key. */
export interface GatewaySetup {
  readonly jwt: JwtIssuer;
  readonly apiKey: string | null;
  readonly apiKeyProblem: string | null;
  readonly identityStoreFile: string;
}

export async function prepareGatewaySetup(dir: string, runBudgetS: number): Promise<GatewaySetup> {
  mkdirSync(dir, { recursive: true });
  const identityStoreFile = join(dir, "identity.sqlite");
  const jwt = await createJwtIssuer(runBudgetS + 3600);
  try {
    return { jwt, apiKey: await provisionApiKey(identityStoreFile), apiKeyProblem: null,
      identityStoreFile };
  } catch (error) {
    return { jwt, apiKey: null, apiKeyProblem: firstLine(error), identityStoreFile };
  }
}

/**
 * The gateway configs as targets, each marked unavailable when it cannot run yet. `workers`
 * is passed as `--workers` when the CLI has it (1 for the one-core ladder); `scaling` names
 * the targets after their worker count.
 */
export async function gatewayTargets(setup: GatewaySetup, workers: number | null, scaling = false) {
  const { gatewayConfigSchema } = await import("../../src/config/schema.ts");
  return gatewayLadder.map((spec): Target => {
    const headers = credentialHeaders(spec, setup);
    const envFor = (dir: string, upstreamUrl: string): ConfigEnvironment => ({
      upstreamUrl,
      dataDir: join(dir, "data"),
      logFile: join(dir, "gateway.log"),
      identityStoreFile: setup.identityStoreFile,
      jwtIssuer: setup.jwt,
    });
    const parsed = gatewayConfigSchema.safeParse(
      buildGatewayConfig(spec, envFor("/tmp/portcullis-bench-check", "http://127.0.0.1:9")),
    );
    let unavailable: string | undefined;
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      unavailable = `not available yet: the config schema refuses ${issue.path.join(".")}: ` +
        issue.message;
    } else if (spec.credential === "apiKey" && !setup.apiKey) {
      unavailable = `not available yet: cannot create an API key (${setup.apiKeyProblem})`;
    }
    return {
      id: scaling ? `${spec.id}-w${workers}` : spec.id,
      label: scaling ? `${spec.label}, ${workers} worker(s)` : spec.label,
      kind: "gateway",
      base: scaling ? undefined : spec.base,
      headers,
      unavailable,
      start: (context) => startGateway(spec, context, envFor(context.workDir, context.upstreamUrl),
        headers, workers),
      verify: (running, context) => verifyChecks(spec, running, headers,
        envFor(context.workDir, context.upstreamUrl)),
    };
  });
}

function credentialHeaders(spec: GatewayConfigSpec, setup: GatewaySetup): Record<string, string> {
  if (spec.credential === "apiKey" && setup.apiKey) return { "x-api-key": setup.apiKey };
  if (spec.credential === "jwt") return { authorization: `Bearer ${setup.jwt.token}` };
  return {};
}

async function startGateway(
  spec: GatewayConfigSpec,
  context: StartContext,
  env: ConfigEnvironment,
  headers: Record<string, string>,
  workers: number | null,
): Promise<RunningTarget> {
  mkdirSync(env.dataDir, { recursive: true });
  const configPath = join(context.workDir, "gateway.yaml");
  const config = buildGatewayConfig(spec, env);
  // Several workers share one fixed port (SO_REUSEPORT); port 0 would give each its own.
  const supervised = workers !== null && workers > 1;
  if (supervised) config.listen.port = await freePort();
  writeFileSync(configPath, stringify(config));
  const proc = spawnBounded({
    name: `gateway ${spec.id}`,
    command: [
      process.execPath,
      ...(context.profileDir
        ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${context.profileDir}`]
        : []),
      join(repoRoot, "src/main.ts"), "serve", "--config", configPath,
      ...(workers === null ? [] : ["--workers", String(workers)]),
    ],
    cpus: context.cpus,
    budgetS: context.budgetS,
    cwd: repoRoot,
    env: { NODE_ENV: "production" },
  });
  const url = await readyOrStop(proc, async () => {
    const match = await proc.waitFor(supervised
      ? /portcullis supervising \d+ workers on (http:\/\/\S+?)\/?\s/
      : /portcullis listening proxy=(http:\/\/\S+?)\/?\s/, 30_000);
    await waitForBenchBody(match[1]! + benchPath, headers, 10_000);
    return match[1]!;
  });
  return runningProcess(url, proc);
}

/**
 * Shows that each check of the config acts: a bad credential gets 401, a missing role 403, a
 * spent bucket 429, and audit records reach the disk. A config whose check is accepted by the
 * schema but not wired into the request path yet would otherwise look free.
 */
async function verifyChecks(
  spec: GatewayConfigSpec,
  running: RunningTarget,
  headers: Record<string, string>,
  env: ConfigEnvironment,
): Promise<string | null> {
  const has = (name: string) => spec.checks.has(name as never);
  type Sent = Record<string, string>;
  const expect = async (path: string, sent: Sent, status: number, what: string) => {
    const answer = await probe(running.url + path, sent);
    return answer?.status === status ? null
      : `${what}: expected ${status}, got ${answer ? answer.status : "no answer"}`;
  };

  if (has("apiKey")) {
    const bad = "pk_live_AAAAAAAAAAAA_" + "A".repeat(49);
    const problem = await expect(benchPath, { "x-api-key": bad }, 401, "unknown API key");
    if (problem) return problem;
  }
  if (has("jwt")) {
    const forged = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImJlbmNoLTEifQ.eyJzdWIiOiJ4In0.c2ln";
    const problem = await expect(benchPath, { authorization: `Bearer ${forged}` }, 401,
      "forged JWT");
    if (problem) return problem;
  }
  if (has("policy")) {
    const problem = await expect(policyProbePath, headers, 403, "route needing a missing role");
    if (problem) return problem;
  }
  if (has("limit")) {
    await probe(running.url + limitProbePath, headers);
    const problem = await expect(limitProbePath, headers, 429, "second request, 1 per hour");
    if (problem) return problem;
  }
  if (has("audit") && !(await written(join(env.dataDir, "audit")))) {
    return "audit: no audit bytes written under <dataDir>/audit within 3 s";
  }
  if (has("accessLog") && !(await written(env.logFile))) {
    return "access log: nothing written to log.file within 3 s";
  }
  return null;
}

async function written(path: string): Promise<boolean> {
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    if (bytesUnder(path) > 0) return true;
    await Bun.sleep(100);
  }
  return false;
}

function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  if (!statSync(dir).isDirectory()) return statSync(dir).size;
  let total = 0;
  for (const name of readdirSync(dir)) {
    const stat = statSync(join(dir, name));
    total += stat.isDirectory() ? bytesUnder(join(dir, name)) : stat.size;
  }
  return total;
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, type GatewayProcess } from "../support/gateway.ts";

/** Calls an identity admin endpoint with the admin token; returns status and parsed body. */
export async function admin(gw: GatewayProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${gw.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Adds a consumer and returns a fresh API key for it, through the admin API. */
export async function consumerWithKey(
  gw: GatewayProcess,
  consumer: { id: string; tenant?: string; roles?: string[]; scopes?: string[] },
): Promise<{ key: string; keyId: string }> {
  const added = await admin(gw, "POST", "/identity/consumers", consumer);
  if (added.status !== 201 && added.status !== 409) throw new Error(JSON.stringify(added));
  const created = await admin(gw, "POST", "/identity/keys", { consumer: consumer.id });
  if (created.status !== 201) throw new Error(JSON.stringify(created));
  return { key: created.body.key, keyId: created.body.keyId };
}

/** Runs the `portcullis` CLI from source; returns exit code and output. */
export async function cli(args: string[]) {
  const child = Bun.spawn([process.execPath, join(repoRoot, "src/main.ts"), ...args], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

/**
 * Every secret from `secrets` found in the gateway's folder (config, data dir with the store
 * and audit segments, log file) or in its stdout/stderr, by label. Files are read as raw bytes.
 */
export function secretsFound(gw: GatewayProcess, secrets: Record<string, string>): string[] {
  const texts = [gw.output(), ...filesUnder(gw.dir).map((f) => readFileSync(f).toString("latin1"))];
  return Object.entries(secrets)
    .filter(([, secret]) => secret.length >= 16 && texts.some((t) => t.includes(secret)))
    .map(([label]) => label);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // The config file is written by the test harness; it holds no credential in these tests.
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The signature segment of a compact JWT. */
export function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf(".") + 1);
}

/** GET through the gateway with extra headers; returns status, headers and parsed body. */
export async function call(gw: GatewayProcess, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${gw.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

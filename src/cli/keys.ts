import { Command, InvalidArgumentError } from "commander";
import { join } from "node:path";
import { ConfigError, loadConfigFile } from "../config/load.ts";
import { parseDuration } from "../identity/durations.ts";
import {
  AdminError,
  createKey,
  describeKey,
  revokeKey,
  rotateKey,
  staleKeys,
} from "../identity/key-admin.ts";
import { identityStorePath } from "../identity/service.ts";
import { generateSigningKey } from "../identity/signing-keys.ts";
import { openSqliteStore } from "../identity/sqlite-store.ts";
import type { IdentityStore } from "../identity/store.ts";
import { syncConfigConsumers } from "../identity/sync-consumers.ts";
import type { ConsumerConfig } from "../config/sections/identity.ts";
import { defaultConfigPath } from "./serve.ts";

/** Options every identity command takes to find the store. */
export interface StoreOptions {
  readonly config: string;
  readonly dataDir?: string;
  readonly json?: boolean;
}

interface StoreSettings {
  readonly prefix: string;
  readonly graceSec: number;
  readonly signingAlgorithm: "EdDSA" | "ES256";
}

/**
 * Opens the identity store the CLI works on: the file the config names (`dataDir` +
 * `identity.store.file`), or `<data-dir>/identity.sqlite` when `--data-dir` is given. A running
 * gateway sees every change within one poll interval (at most 250 ms).
 */
export function withStore<T>(
  options: StoreOptions,
  work: (store: IdentityStore, s: StoreSettings) => T,
) {
  let file: string;
  let consumers: ConsumerConfig[] = [];
  let settings: StoreSettings = { prefix: "pk_live", graceSec: 86_400, signingAlgorithm: "EdDSA" };
  if (options.dataDir) {
    file = join(options.dataDir, "identity.sqlite");
  } else {
    const config = loadConfigFile(options.config);
    file = identityStorePath(config);
    consumers = [...config.identity.consumers];
    const { apiKeys, tokens } = config.identity;
    settings = {
      prefix: apiKeys.prefix,
      graceSec: apiKeys.rotationGraceSec,
      signingAlgorithm: tokens.algorithm,
    };
  }
  const store = openSqliteStore(file);
  try {
    // Consumers declared in the config exist for the CLI even before a gateway ever started.
    syncConfigConsumers(store, consumers, Date.now());
    return work(store, settings);
  } finally {
    store.close();
  }
}

/** Adds `--config`, `--data-dir` and `--json` to a subcommand. */
export function storeCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option("-c, --config <file>", "gateway config naming the data dir", defaultConfigPath)
    .option("--data-dir <dir>", "use <dir>/identity.sqlite instead of the config's store")
    .option("--json", "print JSON instead of text");
}

/** Runs a command body, turning operator mistakes into a message and exit code 1. */
export function runAction(body: () => void): void {
  try {
    body();
  } catch (error) {
    if (!(error instanceof AdminError || error instanceof ConfigError)) throw error;
    console.error(`error: ${error.message}`);
    process.exitCode = 1;
  }
}

export function durationOption(value: string): number {
  const ms = parseDuration(value);
  if (ms === null)
    throw new InvalidArgumentError("use a number and a unit: 45s, 90m, 12h, 30d, 2w");
  return ms;
}

export function listOption(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function print(options: StoreOptions, data: unknown, text: () => string): void {
  console.log(options.json ? JSON.stringify(data, null, 2) : text());
}

function keyLine(k: ReturnType<typeof describeKey>): string {
  const used = k.lastUsedAt ?? "never used";
  return (
    `${k.keyId}  ${k.consumer}  ${k.state}  created ${k.createdAt}  last used ${used}` +
    (k.expiresAt ? `  expires ${k.expiresAt}` : "")
  );
}

/** `portcullis keys create|list|rotate|revoke|stale|rotate-signing`. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command("keys").description("Manage API keys in the identity store");

  storeCommand(keys, "create", "Create an API key for a consumer; the key is shown only once")
    .requiredOption("--consumer <id>", "consumer the key belongs to")
    .option("--ttl <duration>", "key lifetime, e.g. 90d (no expiry when absent)", durationOption)
    .option("--scopes <list>", "comma-separated scopes, a subset of the consumer's", listOption)
    .option("--label <text>", "a note for operators")
    .action((o) =>
      runAction(() =>
        withStore(o, (store, s) => {
          const now = Date.now();
          const created = createKey(
            store,
            {
              consumerId: o.consumer,
              prefix: s.prefix,
              scopes: o.scopes ?? null,
              label: o.label ?? null,
              ttlSec: o.ttl ? Math.floor(o.ttl / 1000) : null,
            },
            now,
          );
          const shown = { key: created.key, ...describeKey(created.record, now) };
          print(
            o,
            shown,
            () => `${created.key}\n# key id ${shown.keyId}; store it now, it is not shown again`,
          );
        }),
      ),
    );

  storeCommand(keys, "list", "List keys (ids, states, last use; never secrets)")
    .option("--consumer <id>", "only this consumer's keys")
    .action((o) =>
      runAction(() =>
        withStore(o, (store) => {
          const now = Date.now();
          const rows = store.listKeys(o.consumer).map((k) => describeKey(k, now));
          print(o, rows, () => rows.map(keyLine).join("\n") || "no keys");
        }),
      ),
    );

  storeCommand(keys, "rotate", "Issue a successor key; the old one works for the grace period")
    .argument("<keyId>", "key to rotate")
    .option(
      "--grace <duration>",
      "how long the old key keeps working (default from config)",
      durationOption,
    )
    .option("--ttl <duration>", "lifetime of the new key", durationOption)
    .action((keyId: string, o) =>
      runAction(() =>
        withStore(o, (store, s) => {
          const now = Date.now();
          const graceSec = o.grace === undefined ? s.graceSec : Math.floor(o.grace / 1000);
          const ttlSec = o.ttl ? Math.floor(o.ttl / 1000) : null;
          const rotated = rotateKey(store, keyId, { prefix: s.prefix, graceSec, ttlSec }, now);
          const until = new Date(rotated.oldKeyExpiresAtMs).toISOString();
          const shown = {
            key: rotated.key,
            ...describeKey(rotated.record, now),
            oldKeyExpiresAt: until,
          };
          print(
            o,
            shown,
            () => `${rotated.key}\n# new key id ${shown.keyId}; ${keyId} works until ${until}`,
          );
        }),
      ),
    );

  storeCommand(keys, "revoke", "Revoke a key now (running gateways stop accepting it within 1 s)")
    .argument("<keyId>", "key to revoke")
    .action((keyId: string, o) =>
      runAction(() =>
        withStore(o, (store) => {
          revokeKey(store, keyId, Date.now());
          print(o, { keyId, revoked: true }, () => `revoked ${keyId}`);
        }),
      ),
    );

  storeCommand(keys, "stale", "List live keys nobody has used for a while")
    .requiredOption(
      "--unused-for <duration>",
      "e.g. 30d; never-used keys count from creation",
      durationOption,
    )
    .action((o) =>
      runAction(() =>
        withStore(o, (store) => {
          const now = Date.now();
          const rows = staleKeys(store, o.unusedFor, now).map((k) => describeKey(k, now));
          print(o, rows, () => rows.map(keyLine).join("\n") || "no stale keys");
        }),
      ),
    );

  storeCommand(keys, "rotate-signing", "Rotate the key that signs gateway-minted tokens").action(
    (o) =>
      runAction(() =>
        withStore(o, (store, s) => {
          const record = generateSigningKey(s.signingAlgorithm, Date.now());
          store.rotateSigningKey(record, Date.now());
          print(
            o,
            { kid: record.kid },
            () => `new signing key ${record.kid}; the old one stays published`,
          );
        }),
      ),
  );
}

import { InvalidArgumentError, type Command } from "commander";
import { parseIsoTime } from "../identity/durations.ts";
import { addConsumer, describeConsumer, disableConsumer } from "../identity/key-admin.ts";
import { listOption, print, runAction, storeCommand, withStore } from "./keys.ts";

function metadataOption(value: string, previous: Record<string, string> = {}) {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("use key=value");
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function timeOption(value: string): number {
  const ms = parseIsoTime(value);
  if (ms === null)
    throw new InvalidArgumentError("use an ISO 8601 time such as 2027-01-31T00:00:00Z");
  return ms;
}

/** `portcullis consumers add|list|disable`. */
export function registerConsumersCommand(program: Command): void {
  const consumers = program
    .command("consumers")
    .description("Manage consumers (partners, service accounts, agents) in the identity store");

  storeCommand(consumers, "add", "Add a consumer")
    .argument("<id>", "consumer id")
    .option("--tenant <tenant>", "tenant the consumer belongs to")
    .option("--roles <list>", "comma-separated roles", listOption)
    .option("--scopes <list>", "comma-separated scopes", listOption)
    .option("--meta <key=value>", "metadata entry (repeatable)", metadataOption)
    .option("--expires <time>", "ISO 8601 time after which the consumer is refused", timeOption)
    .action((id: string, o) =>
      runAction(() =>
        withStore(o, (store) => {
          const record = addConsumer(
            store,
            {
              id,
              tenant: o.tenant ?? null,
              roles: o.roles,
              scopes: o.scopes,
              metadata: o.meta,
              expiresAtMs: o.expires ?? null,
            },
            Date.now(),
          );
          print(o, describeConsumer(record), () => `added consumer ${id}`);
        }),
      ),
    );

  storeCommand(consumers, "list", "List consumers").action((o) =>
    runAction(() =>
      withStore(o, (store) => {
        const rows = store.listConsumers().map(describeConsumer);
        print(
          o,
          rows,
          () =>
            rows
              .map(
                (c) =>
                  `${c.id}  ${c.state}  tenant ${c.tenant ?? "-"}  ` +
                  `roles ${c.roles.join(",") || "-"}` +
                  `  scopes ${c.scopes.join(",") || "-"}  (${c.source})`,
              )
              .join("\n") || "no consumers",
        );
      }),
    ),
  );

  storeCommand(consumers, "disable", "Disable a consumer: revokes all its keys and minted tokens")
    .argument("<id>", "consumer id")
    .action((id: string, o) =>
      runAction(() =>
        withStore(o, (store) => {
          const outcome = disableConsumer(store, id, Date.now());
          print(
            o,
            { consumer: id, ...outcome },
            () => `disabled ${id}; ${outcome.keysRevoked} key(s) revoked, minted tokens refused`,
          );
        }),
      ),
    );
}

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { BroadcastHandler } from "../../src/cluster/broadcast.ts";
import { addConsumer, createKey, describeKey } from "../../src/identity/key-admin.ts";
import {
  createRevocationGossip,
  revocationTopic,
  type RevocationChannel,
  type RevocationGossip,
} from "../../src/identity/revocation-gossip.ts";
import { openSqliteStore } from "../../src/identity/sqlite-store.ts";
import type { IdentityStore } from "../../src/identity/store.ts";
import { syncConfigConsumers } from "../../src/identity/sync-consumers.ts";

/**
 * The module against real bun:sqlite stores, joined by an in-process channel that delivers a
 * broadcast to every other node once, as the cluster does (the UDP path is covered by
 * test/cluster/revocation-gossip.test.ts with real gateway processes).
 */
const logger = pino({ level: "silent" });
const dirs: string[] = [];
const open: IdentityStore[] = [];

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface TestNode {
  readonly name: string;
  readonly store: IdentityStore;
  readonly gossip: RevocationGossip;
  readonly sent: string[];
  invalidations: number;
  deliver(payload: string | Uint8Array): void;
}

function cluster(names: string[]): TestNode[] {
  const handlers = new Map<string, BroadcastHandler>();
  const nodes = names.map((name) => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-revocation-"));
    dirs.push(dir);
    const store = openSqliteStore(join(dir, "identity.sqlite"));
    open.push(store);
    const sent: string[] = [];
    const channel: RevocationChannel = {
      enabled: true,
      broadcast(topic, payload) {
        expect(topic).toBe(revocationTopic);
        const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
        sent.push(text);
        for (const [other, handler] of handlers) {
          if (other !== name) handler(new TextEncoder().encode(text), name);
        }
      },
      on(topic, handler) {
        expect(topic).toBe(revocationTopic);
        handlers.set(name, handler);
        return () => handlers.delete(name);
      },
    };
    const node: TestNode = {
      name,
      store,
      sent,
      invalidations: 0,
      gossip: null as unknown as RevocationGossip,
      deliver(payload) {
        const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
        handlers.get(name)!(bytes, "peer");
      },
    };
    const applied = () => void node.invalidations++;
    Object.assign(node, { gossip: createRevocationGossip({ store, channel, logger, applied }) });
    return node;
  });
  return nodes;
}

/** The same consumer and key record in every store, as a copied store file would have. */
function provision(nodes: TestNode[], consumer: string) {
  for (const n of nodes) {
    if (!n.store.getConsumer(consumer)) addConsumer(n.store, { id: consumer }, 1_000);
  }
  const { record } = createKey(nodes[0]!.store, { consumerId: consumer, prefix: "pk_test" }, 1_000);
  for (const n of nodes.slice(1)) n.store.insertKey(record);
  return record;
}

describe("revocation gossip between identity stores", () => {
  test("an announced key revocation is stored on every peer and drops their caches", () => {
    const [a, b, c] = cluster(["a", "b", "c"]);
    const key = provision([a!, b!, c!], "alice");
    a!.store.revokeKey(key.keyId, 5_000);
    a!.gossip.announce({ kind: "key", id: key.keyId, atMs: 5_000 });

    expect(JSON.parse(a!.sent[0]!)).toEqual({ kind: "key", id: key.keyId, atMs: 5_000 });
    for (const peer of [b!, c!]) {
      expect(peer.store.getKey(key.keyId)!.revokedAtMs).toBe(5_000);
      expect(peer.invalidations).toBe(1);
      expect(peer.sent).toEqual([]);
      expect(peer.gossip.stats()).toMatchObject({ applied: 1, malformed: 0 });
    }
  });

  test("a key a peer never held becomes a tombstone that refuses a later copy", () => {
    const [a, b] = cluster(["a", "b"]);
    addConsumer(a!.store, { id: "alice" }, 1_000);
    const { record } = createKey(a!.store, { consumerId: "alice", prefix: "pk_test" }, 1_000);
    a!.store.revokeKey(record.keyId, 2_000);
    a!.gossip.announce({ kind: "key", id: record.keyId, atMs: 2_000 });

    const tombstone = b!.store.getKey(record.keyId)!;
    expect(describeKey(tombstone, 3_000).state).toBe("revoked");
    expect(tombstone.hash).toEqual(new Uint8Array(32));
    expect(() => b!.store.insertKey({ ...record, revokedAtMs: null })).toThrow();
    expect(b!.store.getKey(record.keyId)!.revokedAtMs).toBe(2_000);
  });

  test("a consumer disable revokes its keys on peers; an unknown consumer stays disabled", () => {
    const [a, b] = cluster(["a", "b"]);
    const first = provision([a!, b!], "bob");
    const second = provision([a!, b!], "bob");
    a!.store.disableConsumer("bob", 7_000);
    a!.gossip.announce({ kind: "consumer", id: "bob", atMs: 7_000 });
    expect(b!.store.getConsumer("bob")!.disabledAtMs).toBe(7_000);
    for (const k of [first, second]) expect(b!.store.getKey(k.keyId)!.revokedAtMs).toBe(7_000);

    a!.gossip.announce({ kind: "consumer", id: "carol", atMs: 8_000 });
    expect(b!.store.getConsumer("carol")!.disabledAtMs).toBe(8_000);
    // Declaring the consumer later (config sync) keeps the peer's disable in force.
    syncConfigConsumers(b!.store, [configConsumer("carol")], 9_000);
    expect(b!.store.getConsumer("carol")!.disabledAtMs).toBe(8_000);
  });

  test("a change the store poll finds is sent once, and peers never send it back", () => {
    const [a, b, c] = cluster(["a", "b", "c"]);
    const key = provision([a!, b!, c!], "alice");
    provision([a!, b!, c!], "bob");
    provision([a!, b!, c!], "bob");
    // What the CLI does to node a's file; a's poll then calls storeChanged().
    a!.store.revokeKey(key.keyId, 3_000);
    a!.store.disableConsumer("bob", 3_000);
    a!.gossip.storeChanged();
    a!.gossip.storeChanged();

    // One message for the key, one for the consumer (not one per key of the consumer).
    expect(a!.sent.map((t) => JSON.parse(t).kind).sort()).toEqual(["consumer", "key"]);
    for (const peer of [b!, c!]) {
      peer.gossip.storeChanged();
      expect(peer.sent).toEqual([]);
      expect(peer.store.getKey(key.keyId)!.revokedAtMs).toBe(3_000);
      expect(peer.store.getConsumer("bob")!.disabledAtMs).toBe(3_000);
    }
  });

  test("revocations already in the store at start are not broadcast", () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-revocation-"));
    dirs.push(dir);
    const store = openSqliteStore(join(dir, "identity.sqlite"));
    open.push(store);
    addConsumer(store, { id: "old" }, 1_000);
    store.disableConsumer("old", 2_000);
    const sent: string[] = [];
    const channel: RevocationChannel = {
      enabled: true,
      broadcast: (_t, p) => void sent.push(String(p)),
      on: () => () => {},
    };
    createRevocationGossip({ store, channel, logger, applied: () => {} }).storeChanged();
    expect(sent).toEqual([]);
  });

  test("malformed payloads are counted and dropped without touching the store", () => {
    const [a] = cluster(["a", "b"]);
    const key = provision([a!], "alice");
    const bad: (string | Uint8Array)[] = [
      "not json",
      new Uint8Array([0xff, 0xfe, 0x7b]),
      "null",
      "[]",
      JSON.stringify({ kind: "token", id: key.keyId, atMs: 1 }),
      JSON.stringify({ kind: "key", id: "../../etc", atMs: 1 }),
      JSON.stringify({ kind: "key", id: key.keyId, atMs: -1 }),
      JSON.stringify({ kind: "key", id: key.keyId, atMs: 1.5 }),
      JSON.stringify({ kind: "key", id: key.keyId }),
      JSON.stringify({ kind: "key", id: key.keyId, atMs: 1, secret: "x" }),
      JSON.stringify({ kind: "consumer", id: "", atMs: 1 }),
    ];
    for (const payload of bad) a!.deliver(payload);

    expect(a!.gossip.stats()).toMatchObject({ malformed: bad.length, applied: 0 });
    expect(a!.store.getKey(key.keyId)!.revokedAtMs).toBeNull();
    expect(a!.invalidations).toBe(0);
  });

  test("a peer clock running ahead does not post-date the stored revocation", () => {
    const [a] = cluster(["a"]);
    const key = provision([a!], "alice");
    const before = Date.now();
    a!.deliver(JSON.stringify({ kind: "key", id: key.keyId, atMs: before + 3_600_000 }));
    const stored = a!.store.getKey(key.keyId)!.revokedAtMs!;
    expect(stored).toBeGreaterThanOrEqual(before);
    expect(stored).toBeLessThanOrEqual(Date.now());
  });

  test("with the cluster disabled nothing is sent or subscribed", () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-revocation-"));
    dirs.push(dir);
    const store = openSqliteStore(join(dir, "identity.sqlite"));
    open.push(store);
    let calls = 0;
    const channel: RevocationChannel = {
      enabled: false,
      broadcast: () => void calls++,
      on: () => (calls++, () => {}),
    };
    const gossip = createRevocationGossip({ store, channel, logger, applied: () => {} });
    gossip.announce({ kind: "key", id: "AAAAAAAAAAAA", atMs: 1 });
    gossip.storeChanged();
    expect(calls).toBe(0);
    expect(gossip.stats().sent).toBe(0);
  });
});

function configConsumer(id: string) {
  return { id, roles: [], scopes: [], metadata: {}, disabled: false };
}

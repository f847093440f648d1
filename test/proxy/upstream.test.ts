import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import type { GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, startQuietGateway, waitUntil } from "./helpers.ts";

/** A loopback port with nothing listening (connection refused). */
function deadPort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Reads the request, then resets the connection without answering. */
function startResetter(): Promise<RecordingUpstream> {
  return startUpstream({ respond: (_record, socket) => void socket.terminate() });
}

const upstreams: RecordingUpstream[] = [];
const track = async (upstream: Promise<RecordingUpstream>) => {
  const started = await upstream;
  upstreams.push(started);
  return started;
};

let a: RecordingUpstream;
let b: RecordingUpstream;
let resetter: RecordingUpstream;
let resetter2: RecordingUpstream;
let dropper: RecordingUpstream;
let shortIdle: RecordingUpstream;
let hang: ReturnType<typeof startHangingUpstream>;
let gateway: GatewayProcess;
const cooldown = { failures: 1, cooldownMs: 60_000 };

beforeAll(async () => {
  a = await track(startUpstream());
  b = await track(startUpstream());
  resetter = await track(startResetter());
  resetter2 = await track(startResetter());
  // Answers the first request on a connection, then closes the connection when the second
  // arrives: the race of an upstream dropping an idle keep-alive connection.
  dropper = await track(startUpstream({
    respond(record, socket) {
      const before = dropper.records.filter((r) => r.connectionId === record.connectionId);
      if (before.length > 1) return void socket.end();
    },
  }));
  hang = startHangingUpstream();
  shortIdle = await track(startUpstream());

  const url = (port: number) => `http://127.0.0.1:${port}`;
  gateway = await startQuietGateway({
    upstreams: {
      pair: { targets: [a.url, b.url] },
      deadFirst: { targets: [url(deadPort()), a.url] },
      flaky: { targets: [resetter.url, b.url], passiveHealth: cooldown },
      allBad: { targets: [resetter.url, resetter2.url], passiveHealth: cooldown },
      dropper: { targets: [dropper.url] },
      hang: { targets: [url(hang.port)] },
      shortIdle: { targets: [shortIdle.url], idleTimeoutMs: 300 },
    },
    routes: ["pair", "deadFirst", "flaky", "allBad", "dropper", "hang", "shortIdle"].map((name) =>
      openRoute(name, `/${name}/*`, name)),
  });
});

afterAll(async () => {
  await gateway.stop();
  for (const upstream of upstreams) upstream.stop();
  hang.stop();
});

async function statuses(path: string, count: number, init?: RequestInit): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${gateway.url}${path}`, init);
    await response.arrayBuffer();
    result.push(response.status);
  }
  return result;
}

describe("upstream targets", () => {
  test("spreads requests round robin over the targets", async () => {
    expect(await statuses("/pair/x", 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(a.records.length).toBe(3);
    expect(b.records.length).toBe(3);
  });

  test("retries a refused connection on the next target, so the client sees 200", async () => {
    const before = a.records.length;
    expect(await statuses("/deadFirst/x", 4)).toEqual([200, 200, 200, 200]);
    expect(a.records.length - before).toBe(4);
  });

  test("skips a failing target for its cooldown (passive health)", async () => {
    const before = b.records.length;
    const seen = await statuses("/flaky/x", 6);
    // The reset came after the request was sent: no retry, the client gets that 502.
    expect(seen).toEqual([502, 200, 200, 200, 200, 200]);
    expect(resetter.records.length).toBe(1);
    expect(b.records.length - before).toBe(5);
  });

  test("with every target cooling down, probes the one that failed longest ago", async () => {
    const first = resetter.records.length;
    const second = resetter2.records.length;
    // resetter is already cooling down from the previous test; resetter2 fails now.
    expect(await statuses("/allBad/x", 3)).toEqual([502, 502, 502]);
    expect(resetter2.records.length - second).toBe(1);
    expect(resetter.records.length - first).toBe(2);
  });

  test("retries a GET once on a fresh connection when a kept-alive one was dropped", async () => {
    expect(await statuses("/dropper/x", 3)).toEqual([200, 200, 200]);
    const connections = new Set(dropper.records.map((r) => r.connectionId));
    // Each reused connection was dropped on its second request and the GET was sent again.
    expect(dropper.records.length).toBe(5);
    expect(connections.size).toBe(3);
  });

  test("never re-sends a POST with a body when its kept-alive connection was dropped", async () => {
    const before = dropper.records.length;
    const body = "payload";
    // The pool still holds the connection the last GET arrived on: the first POST reuses it,
    // the upstream drops it, and the client gets 502 rather than a second delivery.
    const seen = await statuses("/dropper/y", 2, { method: "POST", body });
    expect(seen).toEqual([502, 200]);
    expect(dropper.records.length - before).toBe(2);
    expect(new Set(dropper.records.slice(before).map((r) => r.connectionId)).size).toBe(2);
  });

  test("closes an idle connection after idleTimeoutMs instead of reusing it", async () => {
    expect(await statuses("/shortIdle/x", 2)).toEqual([200, 200]);
    await Bun.sleep(700);
    expect(await statuses("/shortIdle/y", 1)).toEqual([200]);
    const ids = shortIdle.records.map((r) => r.connectionId);
    expect(ids[0]).toBe(ids[1]!);
    expect(ids[2]).not.toBe(ids[0]!);
  });

  test("cancels the upstream request when the client leaves before the answer", async () => {
    const socket = connect({ host: "127.0.0.1", port: gateway.port });
    socket.on("error", () => {});
    socket.write("GET /hang/x HTTP/1.1\r\nHost: gw.test\r\n\r\n");
    await waitUntil(() => hang.requests > 0);
    const leftAt = Date.now();
    socket.destroy();
    await waitUntil(() => hang.closedAt !== null, 2_000);
    expect(hang.closedAt! - leftAt).toBeLessThan(1_000);
  });
});

/** Reads requests and never answers; records when the gateway closes the connection. */
function startHangingUpstream() {
  const state = { port: 0, requests: 0, closedAt: null as number | null, stop: () => {} };
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data: () => void state.requests++,
      close: () => void (state.closedAt = Date.now()),
      error: () => {},
    },
  });
  state.port = listener.port;
  state.stop = () => listener.stop(true);
  return state;
}

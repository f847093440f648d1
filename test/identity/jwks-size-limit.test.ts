import { afterEach, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { createRemoteJwksSource } from "../../src/identity/jwks-source.ts";
import { generateTestKey } from "../support/keys.ts";

const k1 = generateTestKey("k1");
const hugeBytes = 300 * 1024 * 1024;
const chunk = Buffer.alloc(64 * 1024, " ");
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

type Mode = "ok" | "endless" | "declared";
interface Connection {
  mode: Mode;
  written: number;
  closed: boolean;
}

/**
 * A raw HTTP/1.1 JWKS server: `ok` sends the keys, `endless` streams 300 MB of whitespace
 * (delimited by close, written only as fast as the client reads), `declared` sends headers
 * announcing 300 MB and then nothing. It counts the bytes it wrote per connection and sees
 * when the client closes.
 */
function startJwks() {
  let mode: Mode = "ok";
  const connections: Connection[] = [];
  const pump = (socket: Socket<Connection>) => {
    const c = socket.data;
    while (c.mode === "endless" && !c.closed && c.written < hugeBytes) {
      const sent = socket.write(chunk);
      if (sent <= 0) return;
      c.written += sent;
      if (sent < chunk.length) return;
    }
  };
  const server = Bun.listen<Connection>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { mode, written: 0, closed: false };
        connections.push(socket.data);
      },
      data(socket) {
        const c = socket.data;
        if (c.mode === "ok") {
          const body = JSON.stringify({ keys: [k1.publicJwk] });
          socket.end(head(`content-length: ${Buffer.byteLength(body)}`) + body);
        } else if (c.mode === "declared") {
          socket.write(head(`content-length: ${hugeBytes}`));
        } else {
          socket.write(head("connection: close"));
          pump(socket);
        }
      },
      drain: pump,
      close(socket) {
        socket.data.closed = true;
      },
    },
  });
  cleanups.push(() => server.stop(true));
  return {
    url: `http://127.0.0.1:${server.port}/jwks.json`,
    connections,
    setMode: (next: Mode) => void (mode = next),
  };
}

function head(extra: string): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${extra}\r\n\r\n`;
}

async function until(condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition() && Date.now() < deadline) await Bun.sleep(20);
}

describe("remote JWKS size limit", () => {
  test("stops reading a huge JWKS body at maxBytes and keeps the last good keys", async () => {
    const server = startJwks();
    const errors: string[] = [];
    const source = createRemoteJwksSource({
      url: server.url,
      algorithms: new Set(["RS256"]),
      refreshIntervalMs: 60_000,
      minRefetchIntervalMs: 100,
      fetchTimeoutMs: 20_000,
      retryIntervalMs: 60_000,
      maxBytes: 64 * 1024,
      onRefreshError: (reason) => errors.push(reason),
    });
    cleanups.push(() => source.close());
    expect("key" in (await source.lookup("k1", "RS256"))).toBe(true);

    server.setMode("endless");
    await Bun.sleep(150);
    expect(await source.lookup("k2", "RS256")).toEqual({ missing: "unknown_kid" });
    expect(errors).toEqual(["document too large"]);
    const endless = server.connections.find((c) => c.mode === "endless")!;
    await until(() => endless.closed, 10_000);
    expect(endless.closed).toBe(true);
    // The client hung up after about maxBytes; socket buffers hold a few MB at most.
    expect(endless.written).toBeLessThan(32 * 1024 * 1024);
    expect("key" in source.lookup("k1", "RS256")).toBe(true);
  }, 30_000);

  test("refuses a JWKS whose Content-Length exceeds maxBytes without reading it", async () => {
    const server = startJwks();
    server.setMode("declared");
    const errors: string[] = [];
    const source = createRemoteJwksSource({
      url: server.url,
      algorithms: new Set(["RS256"]),
      refreshIntervalMs: 60_000,
      minRefetchIntervalMs: 60_000,
      fetchTimeoutMs: 20_000,
      retryIntervalMs: 60_000,
      maxBytes: 64 * 1024,
      onRefreshError: (reason) => errors.push(reason),
    });
    cleanups.push(() => source.close());
    // Waiting for the body would end only at the 20 s timeout, with another reason.
    expect(await source.lookup("k1", "RS256")).toEqual({ missing: "keys_unavailable" });
    expect(errors).toEqual(["document too large"]);
    const declared = server.connections[0]!;
    await until(() => declared.closed, 10_000);
    expect(declared.closed).toBe(true);
  }, 30_000);
});

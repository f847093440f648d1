import type { Socket } from "bun";
import { createHistogram } from "./histogram.ts";
import { createResponseParser, type ResponseParser } from "./response-parser.ts";
import type { LoadResult, LoadSpec } from "./result.ts";

/**
 * The bundled load generator: a closed loop over `connections` keep-alive HTTP/1.1
 * connections made with `Bun.connect`. Each connection sends one GET, waits for the whole
 * response, records its latency and sends the next, as wrk does, so the figures compare.
 * Used when wrk is not installed, and by the smoke test.
 */

const reconnectDelayMs = 10;
const watchdogMs = 100;

interface Connection {
  socket: Socket<undefined> | null;
  parser: ResponseParser;
  /** Bun.nanoseconds() when the in-flight request was written; 0 when idle. */
  sentAt: number;
  unsent: Uint8Array | null;
}

export async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.url);
  const port = Number(url.port || 80);
  const request = encodeRequest(url, spec.headers);
  const histogram = createHistogram();
  let statusErrors = 0;
  let socketErrors = 0;
  let measuring = false;
  let deadlineNs = Number.POSITIVE_INFINITY;

  const send = (conn: Connection) => {
    if (!conn.socket) return;
    if (Bun.nanoseconds() >= deadlineNs) return;
    conn.sentAt = Bun.nanoseconds();
    const written = conn.socket.write(request);
    conn.unsent = written < request.length ? request.subarray(Math.max(written, 0)) : null;
  };

  const complete = (conn: Connection, status: number, close: boolean) => {
    const now = Bun.nanoseconds();
    if (measuring && now <= deadlineNs) {
      histogram.record(now - conn.sentAt);
      if (status < 200 || status > 399) statusErrors++;
    }
    conn.sentAt = 0;
    if (close) conn.socket?.end();
    else send(conn);
  };

  const lost = (conn: Connection) => {
    if (measuring && Bun.nanoseconds() < deadlineNs && conn.sentAt !== 0) socketErrors++;
    conn.socket = null;
    conn.sentAt = 0;
    conn.parser.reset();
    if (Bun.nanoseconds() < deadlineNs) setTimeout(() => void open(conn), reconnectDelayMs);
  };

  const open = async (conn: Connection): Promise<void> => {
    try {
      conn.socket = await Bun.connect({
        hostname: url.hostname,
        port,
        socket: {
          data(_socket, chunk) {
            const end = conn.parser.feed(chunk);
            if (end) complete(conn, end.status, end.close);
          },
          drain(socket) {
            if (!conn.unsent) return;
            const written = socket.write(conn.unsent);
            conn.unsent = written < conn.unsent.length ? conn.unsent.subarray(written) : null;
          },
          close() {
            if (conn.parser.waitsForClose) complete(conn, 200, true);
            lost(conn);
          },
          error() {},
        },
      });
      if (measuring) send(conn);
    } catch {
      if (measuring) socketErrors++;
      lost(conn);
    }
  };

  const connections: Connection[] = Array.from({ length: spec.connections }, () => ({
    socket: null,
    parser: createResponseParser(),
    sentAt: 0,
    unsent: null,
  }));
  await Promise.all(connections.map(open));

  const cpuBefore = process.cpuUsage();
  const startNs = Bun.nanoseconds();
  deadlineNs = startNs + spec.durationMs * 1e6;
  measuring = true;
  for (const conn of connections) send(conn);

  // A response slower than the timeout counts as an error; its connection is replaced.
  const watchdog = setInterval(() => {
    const limit = Bun.nanoseconds() - spec.timeoutMs * 1e6;
    for (const conn of connections) {
      if (conn.sentAt !== 0 && conn.sentAt < limit) conn.socket?.terminate();
    }
  }, watchdogMs);

  await Bun.sleep(spec.durationMs);
  measuring = false;
  deadlineNs = 0;
  clearInterval(watchdog);
  const elapsedS = (Bun.nanoseconds() - startNs) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  for (const conn of connections) conn.socket?.terminate();

  const latency = histogram.summary();
  return {
    generator: "bundled",
    connections: spec.connections,
    durationS: elapsedS,
    rps: latency.count / elapsedS,
    statusErrors,
    socketErrors,
    loaderCpuPct: ((cpu.user + cpu.system) / 1e6 / elapsedS) * 100,
    ...latency,
  };
}

function encodeRequest(url: URL, headers: Readonly<Record<string, string>>): Uint8Array {
  let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n`, "latin1");
}

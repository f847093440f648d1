#!/usr/bin/env bun
/**
 * The benchmark upstream: Bun.serve answering every request with the same 1 KiB JSON body, on
 * 127.0.0.1. It counts the TCP connections it has served from, so the harness can report how
 * many new upstream connections a proxy opened during a run (a pool that keeps its connections
 * opens none). `GET /__bench/stats` answers the counters and is itself not counted.
 *
 *   PORT=0 bun bench/servers/upstream.ts   → prints "upstream listening port=N"
 */
import { benchBody } from "./body.ts";

const statsPath = "/__bench/stats";
const seenPorts = new Set<number>();
let requests = 0;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 120,
  development: false,
  fetch(request, srv) {
    // A client port is unique per live loopback connection, so a new port is a new connection.
    const peer = srv.requestIP(request);
    if (request.url.endsWith(statsPath)) {
      return Response.json({ connections: seenPorts.size, requests });
    }
    if (peer) seenPorts.add(peer.port);
    requests++;
    return new Response(benchBody, { headers: { "content-type": "application/json" } });
  },
});

console.log(`upstream listening port=${server.port}`);

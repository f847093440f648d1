#!/usr/bin/env bun
/**
 * The bare Bun peer: Bun.serve handing every request to `fetch` and returning the upstream's
 * Response as it is. No routing, no checks, no header hygiene. It is the floor a Bun gateway
 * is held against: the goals compare Portcullis' CPU per request and requests/s with it.
 *
 *   PORT=0 UPSTREAM_URL=http://127.0.0.1:9000 bun bench/peers/bun-proxy.ts
 */
const origin = (process.env.UPSTREAM_URL ?? "").replace(/\/+$/, "");
if (!origin.startsWith("http://127.0.0.1:")) {
  console.error("UPSTREAM_URL must be http://127.0.0.1:<port>");
  process.exit(2);
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 120,
  development: false,
  fetch(request) {
    const url = request.url;
    const pathStart = url.indexOf("/", url.indexOf("://") + 3);
    return fetch(origin + (pathStart === -1 ? "/" : url.slice(pathStart)), {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      // Pass compressed bytes through as they are (Bun-specific option).
      decompress: false,
    });
  },
});

console.log(`bun-proxy listening port=${server.port}`);

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

function configFor(upstream: RecordingUpstream, routes: Record<string, unknown>[]) {
  return {
    upstreams: { main: { targets: [upstream.url] } },
    routes,
    shutdown: { graceMs: 3000 },
  };
}

const publicRoute = { id: "pub", path: "/public/*", upstream: "main", auth: { anonymous: true } };

describe("gateway lifecycle", () => {
  let upstream: RecordingUpstream;
  let slow: RecordingUpstream;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    upstream = await startUpstream();
    // Answers 1.5 s after the request arrives, to hold a request in flight during shutdown.
    slow = await startUpstream({
      respond: (_record, socket) => {
        setTimeout(() => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow"), 1500);
        return null;
      },
    });
    gateway = await startGateway(configFor(upstream, [publicRoute]));
  });

  afterAll(async () => {
    await gateway?.stop("SIGKILL");
    upstream?.stop();
    slow?.stop();
  });

  test("answers health and readiness on the admin listener", async () => {
    expect((await fetch(`${gateway.adminUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, generation: 1, routes: 1 });
  });

  test("answers an unmatched path with a problem+json 404 carrying the request id", async () => {
    const response = await fetch(`${gateway.url}/nowhere`, {
      headers: { "x-request-id": "client-chosen-id-42" },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("x-request-id")).toBe("client-chosen-id-42");
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status: 404, code: "route.not_found", requestId: "client-chosen-id-42" });
    expect(String(problem.type)).toEndWith("route.not_found");
  });

  test("replaces a malformed inbound request id with its own and forwards it", async () => {
    const before = upstream.records.length;
    const response = await fetch(`${gateway.url}/public/id`, { headers: { "x-request-id": "bad id\t!" } });
    expect(response.status).toBe(200);
    const id = response.headers.get("x-request-id")!;
    expect(id).not.toBe("bad id\t!");
    const sent = upstream.records[before]!.headers.filter(([n]) => n.toLowerCase() === "x-request-id");
    expect(sent).toEqual([[expect.any(String), id]]);
  });

  test("refuses mutating admin calls without the admin token", async () => {
    const response = await fetch(`${gateway.adminUrl}/reload`, { method: "POST" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
  });

  test("reloads a valid config through the admin listener and keeps the old one on a bad one", async () => {
    const auth = { authorization: `Bearer ${gateway.adminToken}` };
    gateway.writeConfig(configFor(upstream, [
      publicRoute,
      { id: "extra", path: "/extra", upstream: "main", auth: { anonymous: true } },
    ]));
    const ok = await fetch(`${gateway.adminUrl}/reload`, { method: "POST", headers: auth });
    expect(ok.status).toBe(200);
    expect((await fetch(`${gateway.url}/extra`)).status).toBe(200);

    gateway.writeConfig({ upstreams: {}, routes: [{ id: "x", path: "/x", upstream: "missing" }] });
    const bad = await fetch(`${gateway.adminUrl}/reload`, { method: "POST", headers: auth });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { problems: { path: string }[] };
    expect(body.problems.map((p) => p.path)).toContain("routes[0].upstream");
    expect((await fetch(`${gateway.url}/extra`)).status).toBe(200);
  });

  test("reloads on SIGHUP", async () => {
    gateway.writeConfig(configFor(upstream, [
      publicRoute,
      { id: "hup", path: "/after-hup", upstream: "main", auth: { anonymous: true } },
    ]));
    process.kill(gateway.pid, "SIGHUP");
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await Bun.sleep(100);
      status = (await fetch(`${gateway.url}/after-hup`)).status;
    }
    expect(status).toBe(200);
  });

  test("finishes in-flight requests on SIGTERM, then exits 0", async () => {
    const own = await startGateway(configFor(slow, [publicRoute]));
    const inFlight = fetch(`${own.url}/public/slow`);
    await Bun.sleep(300);
    const code = own.stop("SIGTERM");
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("slow");
    expect(await code).toBe(0);
  });
});

import { timingSafeEqual } from "node:crypto";
import type { Server } from "bun";
import type { GatewayConfig } from "../config/schema.ts";
import { ConfigError } from "../config/load.ts";
import { adminRouteTables, type AdminRoute, type AdminRoutes } from "./admin-routes.ts";
import type { Gateway } from "./gateway.ts";
import { problemResponse } from "./respond.ts";
import { requestIdFor } from "./request-id.ts";
import { workerInfo } from "../cluster/workers.ts";

/** The gateway's own endpoints: health, readiness, reload, and each subsystem's routes. */
const coreRoutes: AdminRoutes = {
  "/healthz": [
    { method: "GET", mutating: false, handle: () => Response.json({ status: "alive" }) },
  ],
  "/readyz": [
    {
      method: "GET",
      mutating: false,
      handle: (_request, _params, { gateway }) => {
        const generation = gateway.current;
        // Not ready while forwarded requests would be refused: draining, or a fail-closed audit
        // trail whose sink is failing.
        const auditOk = gateway.services.audit.admit();
        const ready = !gateway.draining && generation.upstreams.size > 0 && auditOk;
        const body = {
          ready,
          generation: generation.number,
          routes: generation.routes.length,
          audit: auditOk ? "ok" : "failing",
        };
        return Response.json(body, { status: ready ? 200 : 503 });
      },
    },
  ],
  "/reload": [
    {
      method: "POST",
      mutating: true,
      handle: async (_request, _params, { gateway }) => {
        try {
          const generation = await gateway.reload();
          return Response.json({ reloaded: true, generation: generation.number });
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          gateway.logger.warn({ problems: error.problems }, "reload rejected; old config serves");
          return Response.json(
            { reloaded: false, problems: error.problems },
            { status: 422, headers: { "content-type": "application/problem+json" } },
          );
        }
      },
    },
  ],
};

interface CompiledAdminRoute {
  readonly segments: readonly string[];
  readonly route: AdminRoute;
}

/** Starts the admin listener (127.0.0.1 by default). */
export function createAdminServer(gateway: Gateway, config: GatewayConfig): Server<unknown> {
  const table = [coreRoutes, ...adminRouteTables].flatMap((routes) =>
    Object.entries(routes).flatMap(([path, list]) =>
      list.map((route) => ({ segments: path.split("/").filter(Boolean), route })),
    ),
  );
  const token = config.admin.token ? Buffer.from(config.admin.token) : null;

  return Bun.serve({
    hostname: config.admin.host,
    port: adminPortFor(config.admin.port),
    development: false,
    // Admin bodies are small JSON documents (a consumer, a key request); nothing needs more.
    maxRequestBodySize: 1024 * 1024,
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      const requestId = requestIdFor(request.headers.get("x-request-id"));
      const found = findRoute(table, request.method, path);
      if (!found) return problemResponse("admin.not_found", requestId);
      if (found.route.mutating && !authorized(request, token)) {
        return problemResponse("admin.unauthorized", requestId, {
          headers: { "www-authenticate": 'Bearer realm="portcullis-admin"' },
        });
      }
      try {
        return await found.route.handle(request, found.params, {
          gateway,
          services: gateway.services,
        });
      } catch (error) {
        gateway.logger.error({ err: error, path, requestId }, "admin endpoint failed");
        return problemResponse("internal", requestId);
      }
    },
  });
}

function findRoute(table: readonly CompiledAdminRoute[], method: string, path: string) {
  const parts = path.split("/").filter(Boolean);
  for (const entry of table) {
    if (entry.route.method !== method || entry.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = entry.segments.every((segment, i) => {
      if (segment.startsWith(":")) return (params[segment.slice(1)] = decodeSegment(parts[i]!));
      return segment === parts[i];
    });
    if (matches) return { route: entry.route, params };
  }
  return null;
}

/** A malformed escape cannot name anything: it matches nothing (404), it does not throw. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}

/** Mutating admin calls need the configured bearer token; none configured means none allowed. */
function authorized(request: Request, token: Buffer | null): boolean {
  if (!token) return false;
  const header = request.headers.get("authorization") ?? "";
  // RFC 6750 §2.1: the token comes after the Bearer scheme; a bare token is not accepted.
  const match = /^Bearer +(\S+)$/i.exec(header);
  if (!match) return false;
  const presented = Buffer.from(match[1]!);
  return presented.length === token.length && timingSafeEqual(presented, token);
}

/**
 * Workers share the proxy port through SO_REUSEPORT, but each needs its own admin listener to
 * be asked about itself: worker i takes the configured port plus i (port 0 stays 0).
 */
function adminPortFor(configured: number): number {
  const worker = workerInfo();
  return configured === 0 || !worker ? configured : configured + worker.index;
}

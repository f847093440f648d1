import type { GossipLimiter } from "../limit/gossip-limiter.ts";
import type { AdminEnvironment, AdminRoutes } from "../server/admin-routes.ts";
import { problemResponse } from "../server/respond.ts";

/**
 * Cluster and limiter endpoints on the admin listener: the membership view, datagram and limiter
 * counters, one key's gossip state, and the test-only fault switch (absent unless
 * `cluster.faultInjection` is on).
 */
export const clusterAdminRoutes: AdminRoutes = {
  "/cluster/members": [{ method: "GET", mutating: false, handle: (_r, _p, env) => members(env) }],
  "/cluster/counters": [
    {
      method: "GET",
      mutating: false,
      handle: (_r, _p, { services }) =>
        Response.json({
          cluster: services.cluster.gossip?.stats() ?? null,
          limiter: services.limits.limiter.stats(),
        }),
    },
  ],
  "/cluster/limiter/key": [
    {
      method: "GET",
      mutating: false,
      handle: (request, _p, { services }) => {
        const url = new URL(request.url);
        const rule = url.searchParams.get("rule");
        const key = url.searchParams.get("key");
        const limiter = services.limits.limiter;
        if (rule === null || key === null) return badRequest("rule and key are required");
        if (limiter.engine !== "gossip") return badRequest("the limiter engine is not gossip");
        return Response.json((limiter as GossipLimiter).inspect(rule, key));
      },
    },
  ],
  "/cluster/faults": [
    {
      method: "GET",
      mutating: false,
      handle: (_r, _p, { services }) => {
        const faults = services.cluster.gossip?.faults;
        return faults ? Response.json(faults.view()) : problemResponse("admin.not_found", "admin");
      },
    },
    {
      method: "POST",
      mutating: true,
      handle: async (request, _p, { services }) => {
        const faults = services.cluster.gossip?.faults;
        if (!faults) return problemResponse("admin.not_found", "admin");
        const body = (await request.json().catch(() => null)) as Record<string, unknown> | null;
        const drop = body?.dropProbability;
        const blocked = body?.blockedPeers;
        const validDrop = drop === undefined || typeof drop === "number";
        const validBlocked =
          blocked === undefined ||
          (Array.isArray(blocked) && blocked.every((p) => typeof p === "string"));
        if (!body || !validDrop || !validBlocked) {
          return badRequest("expected { dropProbability?: number, blockedPeers?: string[] }");
        }
        try {
          faults.set({
            dropProbability: drop as number | undefined,
            blockedPeers: blocked as string[] | undefined,
          });
        } catch (error) {
          return badRequest((error as Error).message);
        }
        return Response.json(faults.view());
      },
    },
  ],
};

function members({ services }: AdminEnvironment): Response {
  const gossip = services.cluster.gossip;
  if (!gossip) {
    return Response.json({ enabled: false, self: { id: services.cluster.nodeId }, members: [] });
  }
  const now = performance.now();
  return Response.json({
    enabled: true,
    self: { id: gossip.nodeId, incarnation: gossip.incarnation, port: gossip.port },
    members: gossip.membership.all().map((m) => ({
      id: m.id,
      address: `${m.host}:${m.port}`,
      incarnation: m.incarnation,
      state: m.state,
      lastHeardMsAgo: m.lastHeardMs === 0 ? null : Math.round(now - m.lastHeardMs),
    })),
  });
}

function badRequest(detail: string): Response {
  return problemResponse("admin.bad_request", "admin", { detail });
}

import { z } from "zod";
import type { ErrorCode } from "../errors.ts";
import type { AdminEnvironment, AdminRoute, AdminRoutes } from "../server/admin-routes.ts";
import { problemResponse } from "../server/respond.ts";
import { parseDuration, parseIsoTime } from "./durations.ts";
import {
  AdminError,
  addConsumer,
  createKey,
  describeConsumer,
  describeKey,
  disableConsumer,
  revokeKey,
  rotateKey,
  staleKeys,
} from "./key-admin.ts";

const list = z.array(z.string().min(1).max(200)).max(100);
const consumerBody = z.strictObject({
  id: z.string(),
  tenant: z.string().min(1).optional(),
  roles: list.optional(),
  scopes: list.optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  expiresAt: z.string().optional(),
});
const keyBody = z.strictObject({
  consumer: z.string(),
  ttlSec: z.number().int().positive().optional(),
  scopes: list.optional(),
  label: z.string().max(200).optional(),
});
const rotateBody = z.strictObject({
  graceSec: z.number().int().min(0).optional(),
  ttlSec: z.number().int().positive().optional(),
});

type Handler = (
  request: Request,
  params: Record<string, string>,
  env: AdminEnvironment,
) => Response | Promise<Response>;

/**
 * Consumer and key management on the admin listener: the same operations as the CLI, applied
 * to the running gateway's store (so they take effect on this node at once, and on other nodes
 * sharing the store within one poll). Every endpoint needs the admin token, listings included:
 * they reveal consumers and key ids. Responses never contain a stored hash; a new key appears
 * once, in the response that created it.
 */
export const identityAdminRoutes: AdminRoutes = {
  "/identity/consumers": [
    route("GET", (_r, _p, { services }) =>
      Response.json(services.identity.store.listConsumers().map(describeConsumer)),
    ),
    route("POST", async (request, _p, { services }) => {
      const body = consumerBody.parse(await request.json());
      const expiresAtMs = body.expiresAt === undefined ? null : parseIsoTime(body.expiresAt);
      if (expiresAtMs === null && body.expiresAt !== undefined) throw badRequest("expiresAt");
      const record = addConsumer(services.identity.store, { ...body, expiresAtMs }, Date.now());
      services.identity.changed();
      return Response.json(describeConsumer(record), { status: 201 });
    }),
  ],
  "/identity/consumers/:id/disable": [
    route("POST", (_r, { id }, { services }) => {
      const now = Date.now();
      const outcome = disableConsumer(services.identity.store, id!, now);
      services.identity.changed();
      services.identity.revocations.announce({ kind: "consumer", id: id!, atMs: now });
      return Response.json({ consumer: id, ...outcome });
    }),
  ],
  "/identity/keys": [
    route("GET", (request, _p, { services }) => {
      const consumer = new URL(request.url).searchParams.get("consumer") ?? undefined;
      const now = Date.now();
      return Response.json(
        services.identity.store.listKeys(consumer).map((k) => describeKey(k, now)),
      );
    }),
    route("POST", async (request, _p, { services }) => {
      const body = keyBody.parse(await request.json());
      const prefix = services.identity.current().apiKeys.prefix;
      const now = Date.now();
      const created = createKey(
        services.identity.store,
        { ...body, consumerId: body.consumer, prefix },
        now,
      );
      services.identity.changed();
      return Response.json(
        { key: created.key, ...describeKey(created.record, now) },
        { status: 201 },
      );
    }),
  ],
  "/identity/keys/stale": [
    route("GET", (request, _p, { services }) => {
      const unusedFor = parseDuration(new URL(request.url).searchParams.get("unusedFor") ?? "30d");
      if (unusedFor === null) throw badRequest("unusedFor");
      services.identity.apiKeys.flushLastUsed();
      const now = Date.now();
      return Response.json(
        staleKeys(services.identity.store, unusedFor, now).map((k) => describeKey(k, now)),
      );
    }),
  ],
  "/identity/keys/:keyId/rotate": [
    route("POST", async (request, { keyId }, { services }) => {
      const text = await request.text();
      const body = rotateBody.parse(text.trim() === "" ? {} : JSON.parse(text));
      const section = services.identity.current().apiKeys;
      const graceSec = body.graceSec ?? section.rotationGraceSec;
      const now = Date.now();
      const rotated = rotateKey(
        services.identity.store,
        keyId!,
        { prefix: section.prefix, graceSec, ttlSec: body.ttlSec },
        now,
      );
      services.identity.changed();
      return Response.json(
        {
          key: rotated.key,
          ...describeKey(rotated.record, now),
          oldKeyExpiresAt: new Date(rotated.oldKeyExpiresAtMs).toISOString(),
        },
        { status: 201 },
      );
    }),
  ],
  "/identity/keys/:keyId/revoke": [
    route("POST", (_r, { keyId }, { services }) => {
      const now = Date.now();
      revokeKey(services.identity.store, keyId!, now);
      services.identity.changed();
      services.identity.revocations.announce({ kind: "key", id: keyId!, atMs: now });
      return Response.json({ keyId, revoked: true });
    }),
  ],
  "/identity/revocations/gossip": [
    route("GET", (_r, _p, { services }) => Response.json(services.identity.revocations.stats())),
  ],
  "/identity/signing-keys": [
    route("GET", (_r, _p, { services }) => Response.json(services.identity.signingKeys.jwks())),
  ],
  "/identity/signing-keys/rotate": [
    route("POST", async (_r, _p, { services }) =>
      Response.json({ kid: await services.identity.signingKeys.rotate() }, { status: 201 }),
    ),
  ],
};

function route(method: AdminRoute["method"], handle: Handler): AdminRoute {
  return {
    method,
    mutating: true,
    async handle(request, params, env) {
      try {
        return await handle(request, params, env);
      } catch (error) {
        return adminProblem(error);
      }
    },
  };
}

function badRequest(field: string): AdminError {
  return new AdminError(`invalid ${field}`, "bad_request");
}

/** Known failures become precise problems; anything else is rethrown to the admin server. */
function adminProblem(error: unknown): Response {
  if (error instanceof AdminError) {
    const code: ErrorCode =
      error.kind === "not_found"
        ? "admin.not_found"
        : error.kind === "conflict"
          ? "admin.conflict"
          : "admin.bad_request";
    return problemResponse(code, "admin", { detail: error.message });
  }
  if (error instanceof z.ZodError) {
    const detail = error.issues
      .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
      .join("; ");
    return problemResponse("admin.bad_request", "admin", { detail });
  }
  if (error instanceof SyntaxError)
    return problemResponse("admin.bad_request", "admin", { detail: "body is not JSON" });
  throw error;
}

import { z } from "zod";
import {
  adminSchema,
  listenSchema,
  logSchema,
  pathRulesSchema,
  shutdownSchema,
} from "./sections/server.ts";
import { upstreamsSchema } from "./sections/upstreams.ts";
import { routeSchema } from "./sections/routes.ts";
import { identitySchema } from "./sections/identity.ts";
import { policySchema } from "./sections/policy.ts";
import { rateLimitSchema } from "./sections/limits.ts";
import { auditSchema } from "./sections/audit.ts";
import { clusterSchema } from "./sections/cluster.ts";

const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, "must be an IP address or CIDR such as 10.0.0.0/8");

/** The whole gateway configuration. The TypeScript type is inferred from it, never written out. */
export const gatewayConfigSchema = z.strictObject({
  /** Names this node in logs, audit records and the gossip cluster. */
  nodeId: z.string().min(1).default("node-1"),
  /** Where the embedded store, signing keys and audit segments live by default. */
  dataDir: z.string().default(".data"),
  listen: listenSchema.prefault({}),
  admin: adminSchema.prefault({}),
  paths: pathRulesSchema.prefault({}),
  /** Peers whose X-Forwarded-* headers are believed. None by default. */
  trustedProxies: z.array(cidr).default([]),
  shutdown: shutdownSchema.prefault({}),
  log: logSchema.prefault({}),
  upstreams: upstreamsSchema,
  routes: z.array(routeSchema),
  identity: identitySchema,
  policy: policySchema,
  rateLimits: rateLimitSchema,
  audit: auditSchema,
  cluster: clusterSchema,
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

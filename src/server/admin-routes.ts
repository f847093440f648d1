import type { Services } from "./services.ts";
import type { Gateway } from "./gateway.ts";
import { metricsAdminRoutes } from "../metrics/admin-routes.ts";
import { clusterAdminRoutes } from "../cluster/admin-routes.ts";
import { identityAdminRoutes } from "../identity/admin-routes.ts";
import { policyAdminRoutes } from "../policy/admin-routes.ts";

/** One admin endpoint. `mutating` endpoints require the admin token. */
export interface AdminRoute {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly mutating: boolean;
  handle(
    request: Request,
    params: Record<string, string>,
    env: AdminEnvironment,
  ): Promise<Response> | Response;
}

export interface AdminEnvironment {
  readonly gateway: Gateway;
  readonly services: Services;
}

/** Paths may contain `:name` segments. Each subsystem contributes one map below. */
export type AdminRoutes = Readonly<Record<string, readonly AdminRoute[]>>;

export const adminRouteTables: AdminRoutes[] = [
  metricsAdminRoutes,
  clusterAdminRoutes,
  identityAdminRoutes,
  policyAdminRoutes,
];

import type { AdminRoutes } from "../server/admin-routes.ts";

/** `GET /metrics` on the admin listener: Prometheus text exposition, no token needed. */
export const metricsAdminRoutes: AdminRoutes = {
  "/metrics": [
    {
      method: "GET",
      mutating: false,
      handle: async (_request, _params, { services }) =>
        new Response(await services.metrics.render(), {
          headers: { "content-type": services.metrics.contentType },
        }),
    },
  ],
};

import type { GatewayConfig } from "../config/schema.ts";
import { createTokenEndpoint } from "../identity/token-endpoint.ts";
import type { RequestContext } from "./context.ts";
import type { Services } from "./services.ts";

/** An endpoint the gateway answers itself; returns null for requests that are not its own. */
export type Builtin = (
  request: Request,
  ctx: RequestContext,
) => Response | Promise<Response> | null;

/**
 * Endpoints the gateway answers itself on the proxy listener, tried before routing: the token
 * endpoint and the JWKS of the gateway's own signing keys. Each costs one path comparison on
 * the proxied path.
 */
export function createBuiltins(services: Services, config: GatewayConfig): Builtin[] {
  return [createTokenEndpoint(services, config)];
}

import type { GatewayConfig } from "../config/schema.ts";
import type { GatewayState } from "./handle-request.ts";
import type { Services } from "./services.ts";
import { createTokenEndpoint } from "../identity/token-endpoint.ts";

/**
 * Endpoints the gateway answers itself on the proxy listener, tried before routing. Each returns
 * null for requests that are not its own, so they cost one comparison on the proxied path.
 */
export function createBuiltins(services: Services, config: GatewayConfig): GatewayState["builtins"] {
  return [createTokenEndpoint(services, config)];
}

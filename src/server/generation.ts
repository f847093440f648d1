import type { GatewayConfig } from "../config/schema.ts";
import { buildRouteChecks } from "../pipeline/chain.ts";
import type { CompiledRoute } from "../routing/compiled-route.ts";
import { createRouter, type Router } from "../routing/router.ts";
import { encodedMaskOf } from "../routing/encoded.ts";
import { createUpstream, type Upstream } from "../proxy/upstream.ts";
import type { Services } from "./services.ts";
import { createAddressSet, type AddressSet } from "./trusted-proxies.ts";
import { createBuiltins, type Builtin } from "./builtins.ts";

/**
 * Everything the request path reads, compiled from one config. A reload builds a whole new
 * generation and swaps one reference, so a request sees either the old tables or the new ones,
 * never a mix.
 */
export interface Generation {
  readonly number: number;
  readonly config: GatewayConfig;
  readonly router: Router;
  readonly routes: readonly CompiledRoute[];
  /** Per route, the encoded path characters it accepts, as a bitmask. */
  readonly allowedEncoded: Uint8Array;
  readonly trustedProxies: AddressSet;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /** Endpoints the gateway answers itself before routing (token endpoint, JWKS). */
  readonly builtins: readonly Builtin[];
}

/**
 * Compiles a config into a generation. Upstreams whose settings did not change are carried over
 * from the previous generation so their warm connections and health state survive a reload.
 */
export function compileGeneration(
  config: GatewayConfig,
  services: Services,
  number: number,
  previous: Generation | null,
): Generation {
  const upstreams = new Map<string, Upstream>();
  for (const [name, settings] of Object.entries(config.upstreams)) {
    const old = previous?.upstreams.get(name);
    const before = JSON.stringify(previous?.config.upstreams[name]);
    const same = old && before === JSON.stringify(settings);
    upstreams.set(name, same ? old : createUpstream(name, settings));
  }

  const env = { config, services, generation: number };
  const routes = config.routes.map((route, index): CompiledRoute => {
    const { checks, ids } = buildRouteChecks(route, env);
    return {
      id: route.id,
      index,
      config: route,
      checks,
      checkIds: ids,
      upstream: upstreams.get(route.upstream)!,
    };
  });

  return {
    number,
    config,
    router: createRouter(config.routes, config.paths),
    routes,
    allowedEncoded: Uint8Array.from(config.routes, (r) => encodedMaskOf(r.allowEncoded)),
    trustedProxies: createAddressSet(config.trustedProxies),
    upstreams,
    builtins: createBuiltins(services, config),
  };
}

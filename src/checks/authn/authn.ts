import type { RouteConfig } from "../../config/sections/routes.ts";
import { certListenerOf } from "../../identity/cert-listeners.ts";
import type { Check, CheckEnvironment, CheckFactory } from "../../pipeline/check.ts";
import { SKIP } from "../../pipeline/verdict.ts";
import { createAddressSet } from "../../server/trusted-proxies.ts";
import { conflictingCredentials, invalidCredentials, missingCredentials } from "./answers.ts";
import { createApiKeyCheck } from "./api-key.ts";
import { createClientCertChecks } from "./client-cert.ts";
import { findCredential, type CredentialSources } from "./credentials.ts";
import { createJwtCheck } from "./jwt.ts";

/**
 * The authentication stage. A route lists what it accepts (API keys, JWT issuers, client
 * certificates); the request must carry exactly one credential of those kinds, which must be
 * valid. No credential: 401, or pass as anonymous on routes that allow it. A bad credential is
 * never downgraded to anonymous. A route that lists no authenticator gets no check at all.
 */
export const authnCheck: CheckFactory = {
  id: "authn",
  create: createAuthnCheck,
};

export function createAuthnCheck(route: RouteConfig, env: CheckEnvironment): Check | null {
  const auth = route.auth;
  const service = env.services.identity;
  const section = env.config.identity;
  const acceptsApiKeys = auth.apiKey !== false;
  if (!acceptsApiKeys && auth.jwt.length === 0 && !auth.clientCert) return null;

  const verifiers = auth.jwt.map((id) => {
    const verifier = service.issuer(section, id);
    if (!verifier) throw new TypeError(`route "${route.id}": unknown JWT issuer "${id}"`);
    return verifier;
  });
  const forwarded = auth.clientCert ? section.clientCert.forwarded : undefined;
  const trustedTerminators = forwarded ? createAddressSet(forwarded.trustedProxies) : null;
  const sources: CredentialSources = {
    apiKeyHeader:
      auth.apiKey === false ? null : auth.apiKey === true ? "x-api-key" : auth.apiKey.header,
    queryParam: typeof auth.apiKey === "object" ? (auth.apiKey.queryParam ?? null) : null,
    stripQueryParam: !auth.forwardCredentials,
    acceptsApiKeys,
    acceptsJwt: verifiers.length > 0,
    certListenerOf: auth.clientCert ? certListenerOf : null,
    forwardedCert: forwarded
      ? { header: forwarded.header, trusted: (a) => trustedTerminators!.contains(a) }
      : null,
  };

  const apiKey = createApiKeyCheck(service.apiKeys);
  const jwt = createJwtCheck(verifiers, service.tokenCache);
  const certs = auth.clientCert
    ? createClientCertChecks(section, service.apiKeys, service.forwardedCertReader(section))
    : null;
  const anonymous = auth.anonymous;

  return function authn(ctx) {
    const found = findCredential(ctx, sources);
    if ("refuse" in found) {
      return found.refuse === "conflict"
        ? conflictingCredentials(found.reason)
        : invalidCredentials(found.reason);
    }
    const credential = found.credential;
    if (credential === null) return anonymous ? SKIP : missingCredentials;

    switch (credential.kind) {
      case "api-key":
        return apiKey(ctx, credential.value);
      case "jwt":
        return jwt(ctx, credential.value);
      case "cert-listener":
        return certs!.listener(ctx, credential.listenerId);
      case "forwarded-cert":
        return certs!.forwarded(ctx, credential.value);
    }
  };
}

import type { GatewayConfig } from "../config/schema.ts";
import { gatewayIssuerId } from "../config/sections/identity.ts";

/** A reference problem in the identity settings, located by config path segments. */
export interface IdentityReferenceProblem {
  readonly segments: (string | number)[];
  readonly message: string;
}

/**
 * What the identity schema cannot check alone: routes name existing issuers, issuer ids and
 * `iss` values are unique (the `iss` claim picks the verifier), exchange issuers exist, and the
 * gateway's own tokens are enabled where routes or exchanges rely on them.
 */
export function identityReferenceProblems(config: GatewayConfig): IdentityReferenceProblem[] {
  const problems: IdentityReferenceProblem[] = [];
  const { issuers, tokens, clientCert } = config.identity;
  const ids = new Set<string>([gatewayIssuerId]);
  const issValues = new Set<string>([tokens.issuer]);

  issuers.forEach((issuer, index) => {
    if (ids.has(issuer.id)) {
      problems.push(
        problem(
          ["identity", "issuers", index, "id"],
          `duplicate or reserved issuer id "${issuer.id}"`,
        ),
      );
    }
    if (issValues.has(issuer.issuer)) {
      problems.push(
        problem(
          ["identity", "issuers", index, "issuer"],
          "another issuer (or the gateway) already uses this iss",
        ),
      );
    }
    ids.add(issuer.id);
    issValues.add(issuer.issuer);
  });

  tokens.exchangeIssuers.forEach((id, index) => {
    if (!ids.has(id)) {
      problems.push(
        problem(["identity", "tokens", "exchangeIssuers", index], `unknown issuer "${id}"`),
      );
    }
  });

  config.routes.forEach((route, index) => {
    route.auth.jwt.forEach((id, at) => {
      if (!ids.has(id)) {
        problems.push(problem(["routes", index, "auth", "jwt", at], `unknown issuer "${id}"`));
      }
    });
    if (route.auth.clientCert && clientCert.listeners.length === 0 && !clientCert.forwarded) {
      problems.push(
        problem(
          ["routes", index, "auth", "clientCert"],
          "no identity.clientCert listener or forwarded header is configured",
        ),
      );
    }
  });
  return problems;
}

function problem(segments: (string | number)[], message: string): IdentityReferenceProblem {
  return { segments, message };
}

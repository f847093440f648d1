import type { GatewayConfig } from "../config/schema.ts";
import { gatewayIssuerId, type IssuerConfig } from "../config/sections/identity.ts";
import { staticJwkOf } from "./issuer-from-config.ts";
import { staticKeyProblem } from "./jwk-set.ts";

/** A reference problem in the identity settings, located by config path segments. */
export interface IdentityReferenceProblem {
  readonly segments: (string | number)[];
  readonly message: string;
}

/**
 * What the identity schema cannot check alone: routes name existing issuers, issuer ids and
 * `iss` values are unique (the `iss` claim picks the verifier), consumer ids are unique, static
 * issuer keys are usable public keys, exchange issuers exist, and the gateway's own tokens are
 * enabled where routes or exchanges rely on them.
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

  issuers.forEach((issuer, index) => {
    problems.push(...staticKeyProblems(issuer, ["identity", "issuers", index, "keys"]));
  });

  // The store keeps one row per consumer id: a second entry would silently replace the first.
  const consumerIds = new Set<string>();
  config.identity.consumers.forEach((consumer, index) => {
    if (consumerIds.has(consumer.id)) {
      problems.push(
        problem(["identity", "consumers", index, "id"], `duplicate consumer id "${consumer.id}"`),
      );
    }
    consumerIds.add(consumer.id);
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

/**
 * Static issuer keys that would verify nothing: an unparsable PEM, a broken or too small JWK, a
 * key of no allowed algorithm, or a second key under the same `kid` (never used). Found here,
 * at load, rather than as a 503 on every token.
 */
function staticKeyProblems(issuer: IssuerConfig, at: (string | number)[]) {
  const problems: IdentityReferenceProblem[] = [];
  const allowed = new Set<string>(issuer.algorithms);
  const kids = new Set<string>();
  issuer.keys?.forEach((key, index) => {
    const member = key.pem !== undefined ? "pem" : "jwk";
    // createPublicKey would quietly derive the public half; a private key has no place here.
    if (key.pem !== undefined && /PRIVATE KEY-----/.test(key.pem)) {
      problems.push(problem([...at, index, member], "a private key; give the SPKI public key"));
      return;
    }
    let jwk: Record<string, unknown>;
    try {
      jwk = staticJwkOf(key);
    } catch {
      problems.push(problem([...at, index, member], "not a PEM public key or certificate"));
      return;
    }
    const why = staticKeyProblem(jwk, allowed);
    if (why) problems.push(problem([...at, index, member], why));
    const kid = typeof jwk.kid === "string" ? jwk.kid : "";
    if (kids.has(kid)) {
      problems.push(problem([...at, index], "another key of this issuer has this kid (or none)"));
    }
    kids.add(kid);
  });
  return problems;
}

function problem(segments: (string | number)[], message: string): IdentityReferenceProblem {
  return { segments, message };
}

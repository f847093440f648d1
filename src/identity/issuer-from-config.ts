import type { IssuerConfig } from "../config/sections/identity.ts";
import type { StaticKeyConfig } from "../config/sections/identity-issuers.ts";
import type { Logger } from "../log/logger.ts";
import { pemToJwk } from "./jwk-set.ts";
import { createRemoteJwksSource, createStaticKeySource, type KeySource } from "./jwks-source.ts";
import { createIssuerVerifier, type IssuerVerifier } from "./jwt-verifier.ts";

/** Builds the verifier of one configured third-party issuer, with its key source. */
export function createIssuerFromConfig(issuer: IssuerConfig, logger: Logger): IssuerVerifier {
  const algorithms = new Set<string>(issuer.algorithms);
  const audiences = new Set(
    typeof issuer.audience === "string" ? [issuer.audience] : issuer.audience,
  );
  return createIssuerVerifier({
    id: issuer.id,
    rules: {
      issuer: issuer.issuer,
      audiences,
      leewaySec: issuer.leewaySec,
      maxTokenAgeSec: issuer.maxTokenAgeSec,
      maxLifetimeSec: issuer.maxLifetimeSec,
    },
    names: issuer.claims,
    algorithms,
    typ: issuer.typ,
    source: keySourceOf(issuer, algorithms, logger),
    kind: "jwt",
    onError: issuer.onError,
    cacheMaxEntries: issuer.cacheMaxEntries,
  });
}

function keySourceOf(issuer: IssuerConfig, algorithms: Set<string>, logger: Logger): KeySource {
  if (issuer.jwksUrl) {
    return createRemoteJwksSource({
      url: issuer.jwksUrl,
      algorithms,
      ...issuer.jwks,
      // Degraded, not broken: the last good keys stay in use (STYLE §8: warn).
      onRefreshError: (reason) =>
        logger.warn({ issuer: issuer.id, reason }, "JWKS refresh failed; keeping last good keys"),
    });
  }
  const keys = (issuer.keys ?? []).map(staticJwkOf);
  return createStaticKeySource({ keys }, algorithms);
}

/** The JWK a configured static key stands for: its JWK or PEM, with `kid` and `alg` applied. */
export function staticJwkOf(key: StaticKeyConfig): Record<string, unknown> {
  return {
    ...(key.jwk ?? pemToJwk(key.pem!)),
    ...(key.kid ? { kid: key.kid } : {}),
    ...(key.alg ? { alg: key.alg } : {}),
  };
}

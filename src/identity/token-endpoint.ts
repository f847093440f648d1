import type { GatewayConfig } from "../config/schema.ts";
import type { ErrorCode } from "../errors.ts";
import type { RequestContext } from "../server/context.ts";
import { problemResponse } from "../server/respond.ts";
import type { Services } from "../server/services.ts";
import type { Identity } from "./identity.ts";
import { decodeJwt } from "./jwt-decode.ts";
import {
  grantClientCredentials,
  grantTokenExchange,
  narrowScopes,
  readTokenRequest,
  tokenTypeAccessToken,
  tokenTypeApiKey,
  tokenTypeJwt,
  type TokenError,
  type TokenRequest,
} from "./token-request.ts";

export const tokenPath = "/oauth/token";
export const jwksPath = "/.well-known/jwks.json";

type Subject = { identity: Identity; sourceKeyId: string | null } | TokenError;

/**
 * `POST /oauth/token` and `GET /.well-known/jwks.json` on the proxy listener. Grants:
 * `client_credentials` with an API key as the client secret (RFC 6749 §4.4), and token exchange
 * (RFC 8693) with an API key or a trusted issuer's token as `subject_token`, optionally an
 * `actor_token` whose subject becomes the `act` claim. Returns null for every other path.
 */
export function createTokenEndpoint(services: Services, config: GatewayConfig) {
  const identity = services.identity;
  const mintsUpstreamTokens = config.routes.some((r) => r.auth.upstreamToken !== undefined);

  async function subjectFrom(token: string, type: string | undefined): Promise<Subject> {
    if (type === tokenTypeApiKey) {
      const checked = identity.apiKeys.verify(token, Date.now());
      if (!checked.ok) return { error: "invalid_request", reason: checked.reason };
      return { identity: checked.identity, sourceKeyId: checked.identity.credentialId };
    }
    if (type !== tokenTypeJwt && type !== tokenTypeAccessToken) {
      return { error: "invalid_request", reason: "token.unsupported_token_type" };
    }
    const section = identity.current();
    const decoded = decodeJwt(token);
    if (!decoded) return { error: "invalid_request", reason: "authn.jwt.malformed" };
    const verifier = section.tokens.exchangeIssuers
      .map((id) => identity.issuer(section, id))
      .find((v) => v !== null && v.rules.issuer === decoded.payload.iss);
    if (!verifier) return { error: "invalid_request", reason: "authn.jwt.issuer_untrusted" };
    const result = await verifier.verify(token, decoded, Date.now());
    if (!result.ok) return { error: "invalid_request", reason: result.reason };
    return { identity: result.identity, sourceKeyId: result.identity.sourceKeyId ?? null };
  }

  /** RFC 6749 §4.4: the API key is the client secret; a client_id, if sent, must name it. */
  function clientCredentials(request: TokenRequest): Subject {
    const failed = (reason: string): TokenError => ({
      error: "invalid_client",
      reason,
      basic: request.usedBasic,
    });
    if (!request.clientSecret) return failed("token.no_client_secret");
    const checked = identity.apiKeys.verify(request.clientSecret, Date.now());
    if (!checked.ok) return failed(checked.reason);
    const { subject, credentialId } = checked.identity;
    const id = request.clientId;
    if (id !== null && id !== subject && id !== credentialId) {
      return failed("token.client_id_mismatch");
    }
    return { identity: checked.identity, sourceKeyId: credentialId };
  }

  async function grant(request: TokenRequest): Promise<Subject> {
    const grantType = request.params.get("grant_type");
    if (grantType === grantClientCredentials) return clientCredentials(request);
    if (grantType !== grantTokenExchange) {
      return {
        error: grantType ? "unsupported_grant_type" : "invalid_request",
        reason: "token.grant_type",
      };
    }
    const subjectToken = request.params.get("subject_token");
    if (!subjectToken) return { error: "invalid_request", reason: "token.no_subject_token" };
    return subjectFrom(subjectToken, request.params.get("subject_token_type"));
  }

  async function issue(request: Request, ctx: RequestContext): Promise<Response> {
    const read = await readTokenRequest(request);
    if ("error" in read) return refuse(ctx, read);
    const subject = await grant(read);
    if ("error" in subject) return refuse(ctx, subject);

    const section = identity.current();
    const audience = read.params.get("audience");
    if (audience !== undefined && audience !== section.tokens.audience) {
      return refuse(ctx, { error: "invalid_target", reason: "token.audience_not_served" });
    }
    const scopes = narrowScopes(subject.identity.scopes, read.params.get("scope"));
    if (!scopes) return refuse(ctx, { error: "invalid_scope", reason: "token.scope_widening" });
    const actors = await actorChainOf(read);
    if (!Array.isArray(actors)) return refuse(ctx, actors);

    const minted = identity.minter.mint(
      {
        identity: subject.identity,
        audience: section.tokens.audience,
        ttlSec: section.tokens.ttlSec,
        scopes,
        sourceKeyId: subject.sourceKeyId,
        actorChain: actors,
      },
      Date.now(),
    );
    ctx.identity = subject.identity;
    ctx.reason = "token.issued";
    const exchanged = read.params.get("grant_type") === grantTokenExchange;
    return Response.json(
      {
        access_token: minted.token,
        token_type: "Bearer",
        expires_in: section.tokens.ttlSec,
        scope: scopes.join(" "),
        ...(exchanged ? { issued_token_type: tokenTypeAccessToken } : {}),
      },
      {
        headers: { "cache-control": "no-store", pragma: "no-cache", "x-request-id": ctx.requestId },
      },
    );
  }

  /** RFC 8693 §4.1: the actor becomes the current `act`, its own chain nested below it. */
  async function actorChainOf(read: TokenRequest): Promise<string[] | TokenError> {
    const actorToken = read.params.get("actor_token");
    if (actorToken === undefined) return [];
    const actor = await subjectFrom(actorToken, read.params.get("actor_token_type"));
    if ("error" in actor) return actor;
    return [actor.identity.subject, ...actor.identity.actorChain];
  }

  return function tokenEndpoint(request: Request, ctx: RequestContext) {
    const path = ctx.path;
    if (path !== tokenPath && path !== jwksPath) return null;
    const tokens = identity.current().tokens;
    if (path === jwksPath) {
      if (!tokens.endpoint && !mintsUpstreamTokens) return null;
      if (request.method !== "GET" && request.method !== "HEAD")
        return notAllowed(ctx, "GET, HEAD");
      return Response.json(identity.signingKeys.jwks(), {
        headers: {
          "content-type": "application/jwk-set+json",
          "cache-control": "public, max-age=300",
        },
      });
    }
    if (!tokens.endpoint) return null;
    if (request.method !== "POST") return notAllowed(ctx, "POST");
    return issue(request, ctx).catch(() =>
      refuse(ctx, { error: "invalid_request", reason: "token.unreadable_request" }),
    );
  };
}

const codeOf: Record<TokenError["error"], ErrorCode> = {
  invalid_request: "token.invalid_request",
  invalid_client: "token.invalid_client",
  invalid_grant: "token.invalid_grant",
  invalid_scope: "token.invalid_scope",
  unsupported_grant_type: "token.unsupported_grant_type",
  invalid_target: "token.invalid_request",
};

/** RFC 6749 §5.2 error in a problem+json body; the precise reason stays in `ctx.reason`. */
function refuse(ctx: RequestContext, failure: TokenError): Response {
  ctx.reason = failure.reason;
  const headers: Record<string, string> = { pragma: "no-cache" };
  if (failure.basic) headers["www-authenticate"] = 'Basic realm="portcullis"';
  return problemResponse(codeOf[failure.error], ctx.requestId, {
    headers,
    members: { error: failure.error },
  });
}

function notAllowed(ctx: RequestContext, allow: string): Response {
  ctx.reason = "token.method_not_allowed";
  return problemResponse("route.method_not_allowed", ctx.requestId, { headers: { allow } });
}

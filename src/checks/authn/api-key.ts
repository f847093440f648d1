import type { ApiKeyVerifier } from "../../identity/api-key-verifier.ts";
import { ALLOW, type Verdict } from "../../pipeline/verdict.ts";
import type { RequestContext } from "../../server/context.ts";
import { invalidCredentials } from "./answers.ts";

export type ApiKeyCheck = (ctx: RequestContext, presented: string) => Verdict;

/**
 * Authenticates a presented API key: format and checksum, lookup by key id in the cached store,
 * constant-time hash comparison, then revocation and expiry of the key and its consumer.
 * Always synchronous: the store is only read on a cache miss, and bun:sqlite is synchronous.
 */
export function createApiKeyCheck(verifier: ApiKeyVerifier): ApiKeyCheck {
  return function apiKey(ctx, presented) {
    const result = verifier.verify(presented, Date.now());
    if (!result.ok) return invalidCredentials(result.reason);
    ctx.identity = result.identity;
    return ALLOW;
  };
}

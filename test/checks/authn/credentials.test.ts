import { describe, expect, test } from "bun:test";
import { findCredential, type CredentialSources } from "../../../src/checks/authn/credentials.ts";
import type { RequestContext } from "../../../src/server/context.ts";

const key = "pk_live_0123456789Ab_" + "x".repeat(49);
const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";

const sources: CredentialSources = {
  apiKeyHeader: "x-api-key",
  queryParam: "apikey",
  stripQueryParam: true,
  acceptsApiKeys: true,
  acceptsJwt: true,
  certListenerOf: null,
  forwardedCert: null,
};

function context(headers: Record<string, string>, query = ""): RequestContext {
  return { request: new Request("http://gw.test/x", { headers }), query } as RequestContext;
}

describe("finding the request's credential", () => {
  test("tells API keys from JWTs in Authorization, scheme in any case", () => {
    expect(findCredential(context({ authorization: `Bearer ${key}` }), sources)).toEqual({
      credential: { kind: "api-key", value: key },
    });
    expect(findCredential(context({ authorization: `bEaReR ${jwt}` }), sources)).toEqual({
      credential: { kind: "jwt", value: jwt },
    });
  });

  test("refuses joined duplicates and two kinds of credential at once", () => {
    const conflict = (headers: Record<string, string>, query = "") =>
      (findCredential(context(headers, query), sources) as { refuse?: string }).refuse;
    expect(conflict({ authorization: `Bearer ${jwt}, Bearer ${jwt}` })).toBe("conflict");
    expect(conflict({ "x-api-key": `${key}, other` })).toBe("conflict");
    expect(conflict({ authorization: `Bearer ${jwt}`, "x-api-key": key })).toBe("conflict");
    expect(conflict({ "x-api-key": key }, `?apikey=${key}`)).toBe("conflict");
    expect(conflict({}, `?apikey=a&apikey=b`)).toBe("conflict");
  });

  test("refuses other schemes and empty bearer values as invalid, not missing", () => {
    for (const authorization of ["Basic YTpi", "Bearer", "Bearer  ", "Token abc"]) {
      const found = findCredential(context({ authorization }), sources);
      expect((found as { refuse?: string }).refuse).toBe("invalid");
    }
    expect(findCredential(context({ "x-api-key": "" }), sources)).toEqual({
      credential: { kind: "api-key", value: "" },
    });
  });

  test("takes a query key by its exact name and removes it, keeping the rest in order", () => {
    const ctx = context({}, `?a=1&apikey=${encodeURIComponent(key)}&b=2&APIKEY=x`);
    expect(findCredential(ctx, sources)).toEqual({ credential: { kind: "api-key", value: key } });
    expect(ctx.query).toBe("?a=1&b=2&APIKEY=x");
    const only = context({}, `?apikey=${key}`);
    findCredential(only, sources);
    expect(only.query).toBe("");
  });

  test("a route without query keys leaves the query alone", () => {
    const ctx = context({}, `?apikey=${key}`);
    expect(findCredential(ctx, { ...sources, queryParam: null })).toEqual({ credential: null });
    expect(ctx.query).toBe(`?apikey=${key}`);
  });

  test("a credential of a kind the route does not accept is invalid", () => {
    const jwtOnly = { ...sources, acceptsApiKeys: false, apiKeyHeader: null, queryParam: null };
    const found = findCredential(context({ authorization: `Bearer ${key}` }), jwtOnly);
    expect(found).toEqual({ refuse: "invalid", reason: "authn.api_key.not_accepted" });
  });
});

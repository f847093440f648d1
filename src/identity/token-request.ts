/**
 * Reading an OAuth token request (RFC 6749 §4.4.2, RFC 8693 §2.1): form-encoded parameters,
 * each at most once (RFC 6749 §3.2), and the client's credentials from HTTP Basic or the body
 * but not both (RFC 6749 §2.3).
 */

export const grantClientCredentials = "client_credentials";
export const grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
export const tokenTypeApiKey = "urn:portcullis:params:oauth:token-type:api-key";
export const tokenTypeJwt = "urn:ietf:params:oauth:token-type:jwt";
export const tokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token";

/** A failure as RFC 6749 §5.2 names it, plus our public code and audit reason. */
export interface TokenError {
  readonly error:
    | "invalid_request"
    | "invalid_client"
    | "invalid_grant"
    | "invalid_scope"
    | "unsupported_grant_type"
    | "invalid_target";
  readonly reason: string;
  /** The client tried HTTP Basic: a 401 must challenge it (RFC 6749 §5.2). */
  readonly basic?: boolean;
}

export interface TokenRequest {
  readonly params: ReadonlyMap<string, string>;
  /** `client_secret` from Basic or the body. */
  readonly clientSecret: string | null;
  readonly clientId: string | null;
  readonly usedBasic: boolean;
}

const maxBodyBytes = 16 * 1024;

export async function readTokenRequest(request: Request): Promise<TokenRequest | TokenError> {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    return { error: "invalid_request", reason: "token.content_type" };
  }
  const length = Number(request.headers.get("content-length") ?? "0");
  if (!(length <= maxBodyBytes))
    return { error: "invalid_request", reason: "token.body_too_large" };
  const body = await request.text();
  if (body.length > maxBodyBytes)
    return { error: "invalid_request", reason: "token.body_too_large" };

  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (params.has(name)) return { error: "invalid_request", reason: "token.repeated_parameter" };
    params.set(name, value);
  }

  const basic = basicCredentials(request.headers.get("authorization"));
  if (basic === "malformed")
    return { error: "invalid_client", reason: "token.basic_malformed", basic: true };
  if (basic && (params.has("client_secret") || params.has("client_id"))) {
    return { error: "invalid_request", reason: "token.two_client_auth_methods" };
  }
  return {
    params,
    clientSecret: basic ? basic.secret : (params.get("client_secret") ?? null),
    clientId: basic ? basic.id : (params.get("client_id") ?? null),
    usedBasic: basic !== null,
  };
}

/** RFC 6749 §2.3.1: Basic with form-urlencoded id and secret. */
function basicCredentials(header: string | null) {
  if (header === null) return null;
  const space = header.indexOf(" ");
  if (space < 0 || header.slice(0, space).toLowerCase() !== "basic") return "malformed" as const;
  const decoded = Buffer.from(header.slice(space + 1).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return "malformed" as const;
  try {
    const id = decodeURIComponent(decoded.slice(0, colon).replaceAll("+", " "));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replaceAll("+", " "));
    return { id: id === "" ? null : id, secret };
  } catch {
    return "malformed" as const;
  }
}

/**
 * Scopes to grant: the requested ones if every one is held, else an error; all held ones when
 * none are requested. A token can narrow what its source holds, never widen it.
 */
export function narrowScopes(held: readonly string[], requested: string | undefined) {
  if (requested === undefined) return held;
  const wanted = requested.split(" ").filter((s) => s !== "");
  if (wanted.some((s) => !held.includes(s))) return null;
  return [...new Set(wanted)];
}

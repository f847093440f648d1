/**
 * Query parameters that carry credentials in the wild: API keys (`apikey`, `api_key`, `key`),
 * OAuth bearer tokens in the URI query (RFC 6750 §2.3 `access_token`), signatures and secrets.
 * Matched case-insensitively on the decoded name.
 */
export const defaultCredentialParams: readonly string[] = [
  "apikey",
  "api_key",
  "api-key",
  "key",
  "token",
  "access_token",
  "id_token",
  "refresh_token",
  "client_secret",
  "secret",
  "password",
  "passwd",
  "pwd",
  "auth",
  "authorization",
  "jwt",
  "sig",
  "signature",
  "session",
  "code",
];

export const redactedValue = "REDACTED";

/** A function from a raw query string (with its `?`, or `""`) to the same string redacted. */
export type QueryRedactor = (query: string) => string;

/**
 * Builds a redactor for the given parameter names. Names are compared after percent-decoding
 * and lower-casing, so `APIKEY` and `api%6Bey` are caught too; the name stays, the value goes,
 * so an investigator can still see that a credential was sent in the URL.
 */
export function createQueryRedactor(names: readonly string[] = defaultCredentialParams) {
  const sensitive = new Set(names.map((n) => n.toLowerCase()));
  return function redactQuery(query: string): string {
    if (query.length <= 1) return query;
    let out: string | null = null; // built only once a credential is found
    let copied = 0;
    let start = query.charCodeAt(0) === 63 /* ? */ ? 1 : 0;
    while (start <= query.length) {
      let end = query.indexOf("&", start);
      if (end === -1) end = query.length;
      const eq = query.indexOf("=", start);
      const nameEnd = eq === -1 || eq > end ? end : eq;
      if (sensitive.has(decodeName(query.slice(start, nameEnd)))) {
        out = (out ?? "") + query.slice(copied, nameEnd) + "=" + redactedValue;
        copied = end;
      }
      start = end + 1;
    }
    if (out === null) return query;
    return out + query.slice(copied);
  };
}

/** Redacts with the default credential parameter list. */
export const redactQuery: QueryRedactor = createQueryRedactor();

function decodeName(raw: string): string {
  const plus = raw.includes("+") ? raw.replaceAll("+", " ") : raw;
  if (!plus.includes("%")) return plus.toLowerCase();
  try {
    return decodeURIComponent(plus).toLowerCase();
  } catch {
    // A malformed escape cannot name a parameter a server would decode; compare it as is.
    return plus.toLowerCase();
  }
}

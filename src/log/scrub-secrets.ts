/**
 * A last line of defence applied to every serialized log line: anything shaped like a
 * credential is cut out even when a caller logged it in a field nobody thought to redact
 * (an error message quoting a header, a URL with a token in it). Path-based redaction in
 * logger.ts remains the first line; this catches what paths cannot name.
 *
 * - compact JWS/JWT (RFC 7515 §7.1): three base64url segments, the first a JSON header
 *   (`eyJ` is the base64url of `{"`); all three are dropped, the header too, because a
 *   changed payload or a forged signature is still someone's token;
 * - an HTTP credential of eight or more characters after an auth scheme (RFC 9110 §11.4):
 *   `Bearer x`, `Basic x`, `ApiKey x`;
 * - gateway API keys (identity/api-key-format.ts): `<word>_<word>_<key id>_<secret>`; the
 *   key id is public, but a key with a changed character is still mostly someone's secret,
 *   so the whole run goes.
 */
const secretPattern = new RegExp(
  [
    "eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*",
    "\\b(Bearer|Basic|ApiKey)(?:\\s+|\\\\u0020|%20)[A-Za-z0-9._~+/=-]{8,}",
    "\\b[a-z][a-z0-9]{0,7}_[a-z0-9]{1,12}_[0-9A-Za-z]{12}_[0-9A-Za-z]{16,}",
  ].join("|"),
  "gi",
);

export const scrubbedText = "[REDACTED]";

/** Replaces every credential-shaped run in `line`; returns the line unchanged when none. */
export function scrubSecrets(line: string): string {
  secretPattern.lastIndex = 0;
  if (!secretPattern.test(line)) return line;
  secretPattern.lastIndex = 0;
  return line.replace(secretPattern, (_match, scheme: string | undefined) =>
    scheme ? `${scheme} ${scrubbedText}` : scrubbedText,
  );
}

/**
 * Makes an attacker-controlled string safe to put in a log or audit field: bounded in length
 * (1 KiB by default, so no value a client sends can grow a record without bound), and with
 * every control character, line or paragraph separator and lone surrogate written as a visible
 * `\uXXXX` escape. JSON encoding already escapes C0 controls, but a value also reaches
 * terminals, CSV exports and line-based tools, where a raw CR, LF, ESC or U+2028 could start
 * what looks like a second record.
 */
export function safeText(value: string, maxLength = 1024): string {
  const clipped = value.length > maxLength ? value.slice(0, maxLength) : value;
  // Fast path: the common case (printable ASCII paths and ids) is one pass over char codes.
  if (!needsEscaping(clipped)) return clipped.length === value.length ? clipped : `${clipped}…`;
  const escaped = clipped.replace(unsafeCharacter, escapeCharacter);
  return clipped.length === value.length ? escaped : `${escaped}…`;
}

function needsEscaping(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
    if (code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) return true;
  }
  return false;
}

// C0 controls, DEL, C1 controls, U+2028/2029 and unpaired UTF-16 surrogates.
const unsafeCharacter = new RegExp(
  "[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]" +
    "|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]",
  "g",
);

function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

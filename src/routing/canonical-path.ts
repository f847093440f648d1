import { encodedBitOfByte } from "./encoded.ts";
import { segmentsAreSafe } from "./segment-safety.ts";

/** The `paths` section of the config: how repeated slashes, case and odd segments are treated. */
export interface PathRules {
  /** Collapse `//` to `/` (true) or refuse paths containing it (false). */
  readonly mergeSlashes: boolean;
  /** Match route paths case-sensitively; see router.ts for the fail-closed check. */
  readonly caseSensitive: boolean;
  /** Keep a raw `;` as ordinary segment text; absent or false refuses such paths. */
  readonly allowSemicolons?: boolean;
  /** Accept segments ending in `.` or starting or ending with `%20`; see segment-safety.ts. */
  readonly allowSegmentPadding?: boolean;
}

export type PathErrorCode = "path.invalid" | "path.above_root";

export type CanonicalPath =
  | {
      readonly ok: true;
      /** The one path string routing, checks and the upstream request all use. */
      readonly path: string;
      /** Bits from encoded.ts for reserved characters still percent-encoded in `path`. */
      readonly encoded: number;
      /**
       * Offsets in `path` of each `/` that stood for two or more slashes in the request, or
       * null when none was merged. The router uses them to refuse ambiguous paths.
       */
      readonly mergedAt: readonly number[] | null;
    }
  | { readonly ok: false; readonly code: PathErrorCode };

const invalid: CanonicalPath = Object.freeze({ ok: false, code: "path.invalid" });
const aboveRoot: CanonicalPath = Object.freeze({ ok: false, code: "path.above_root" });
const hexDigits = "0123456789ABCDEF";

/**
 * Canonicalises the path part of a request target (from the first `/` up to `?`). Bun.serve
 * has already applied the WHATWG URL path rules; this adds what they leave out:
 * - percent-encoded unreserved characters are decoded, once (RFC 3986 §2.3, §6.2.2.2), and the
 *   remaining escapes get upper-case hex (§6.2.2.1);
 * - dot segments, including ones the decoding created, are resolved (§5.2.4) and a path that
 *   climbs above the root is refused;
 * - encoded `/ \ NUL ? #` stay encoded and are reported in `encoded`;
 * - malformed escapes, raw control or non-ASCII bytes, raw `\ # ?`, and encoded control
 *   characters other than NUL (CR/LF would split an upstream request line) are refused;
 * - a raw `;` is refused unless `rules.allowSemicolons`: servlet containers strip `;params`
 *   from each segment before routing, so `/admin;x/users` would reach their `/admin/users`;
 * - `//` is merged or refused per `rules.mergeSlashes`;
 * - the segments left are checked by segment-safety.ts.
 * A plain path is returned as the same string, without building a new one.
 */
export function canonicalizePath(raw: string, rules: PathRules): CanonicalPath {
  if (raw.charCodeAt(0) !== 0x2f) return invalid;
  if (isPlain(raw)) return { ok: true, path: raw, encoded: 0, mergedAt: null };

  const result = canonicalizeSlow(raw, rules);
  if (!result.ok) return result;
  return segmentsAreSafe(result.path, rules.allowSegmentPadding === true) ? result : invalid;
}

/**
 * True when no rule above can change or refuse the path: printable ASCII without
 * `% \ # ? ;`, no `//`, and no segment that starts or ends with `.` (dot segments, `..;`
 * which Java servers read as `..`, and `admin.` which Windows servers read as `admin`).
 */
function isPlain(raw: string): boolean {
  let previous = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
    if (c === 0x25 || c === 0x5c || c === 0x23 || c === 0x3f || c === 0x3b) return false;
    if (previous === 0x2f && (c === 0x2f || c === 0x2e)) return false;
    if (previous === 0x2e && c === 0x2f) return false;
    previous = c;
  }
  return previous !== 0x2e;
}

const scratch = { encoded: 0 };

/** Decodes unreserved escapes once; null for a malformed or forbidden byte. */
function decodeUnreserved(raw: string, allowSemicolons: boolean): string | null {
  let out = "";
  let copiedTo = 0;
  scratch.encoded = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    // RFC 9112 §3.2 and RFC 3986 §2 allow only printable ASCII in a request target.
    if (c <= 0x20 || c >= 0x7f || c === 0x5c || c === 0x23 || c === 0x3f) return null;
    // A raw `;` starts path parameters that servlet containers strip (RFC 3986 §3.3 leaves
    // their meaning to the scheme); an encoded `%3B` is text to them and stays allowed.
    if (c === 0x3b && !allowSemicolons) return null;
    if (c !== 0x25) continue;

    const high = raw.charCodeAt(i + 1);
    const low = raw.charCodeAt(i + 2);
    const byte = hexValue(high) * 16 + hexValue(low);
    if (!(byte >= 0)) return null;
    // NUL has its own opt-in kind; every other control byte is refused outright.
    if ((byte < 0x20 && byte !== 0) || byte === 0x7f) return null;
    scratch.encoded |= encodedBitOfByte(byte);

    const unreserved = isUnreserved(byte);
    if (!unreserved && high < 0x61 && low < 0x61) {
      i += 2;
      continue; // already canonical: upper-case hex, stays encoded
    }
    out += raw.slice(copiedTo, i);
    const hex = "%" + hexDigits[byte >> 4] + hexDigits[byte & 15];
    out += unreserved ? String.fromCharCode(byte) : hex;
    copiedTo = i + 3;
    i += 2;
  }
  return copiedTo === 0 ? raw : out + raw.slice(copiedTo);
}

/** True when splitting into segments could change the path: a `//` or a segment starting `.`. */
function needsSegments(path: string): boolean {
  for (let at = path.indexOf("/"); at !== -1; at = path.indexOf("/", at + 1)) {
    const next = path.charCodeAt(at + 1);
    if (next === 0x2f || next === 0x2e) return true;
  }
  return false;
}

function canonicalizeSlow(raw: string, rules: PathRules): CanonicalPath {
  const decoded = decodeUnreserved(raw, rules.allowSemicolons === true);
  if (decoded === null) return invalid;
  const encoded = scratch.encoded;
  if (!needsSegments(decoded)) return { ok: true, path: decoded, encoded, mergedAt: null };

  // Split after the leading `/`; an empty part is a repeated slash unless it is the last one.
  const parts = decoded.split("/");
  const kept: string[] = [];
  const mergedBefore: boolean[] = [];
  let pendingMerge = false;
  let trailingSlash = false;

  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === "" && !last) {
      if (!rules.mergeSlashes) return invalid;
      pendingMerge = true;
      continue;
    }
    if (part === "") {
      trailingSlash = true;
      continue;
    }
    if (part.charCodeAt(0) === 0x2e) {
      const kind = dotKind(part);
      if (kind < 0) return invalid;
      if (kind === 2 && kept.length === 0) return aboveRoot;
      if (kind === 2) {
        kept.pop();
        mergedBefore.pop();
      }
      if (kind > 0) {
        trailingSlash = last;
        continue;
      }
    }
    kept.push(part);
    mergedBefore.push(pendingMerge);
    pendingMerge = false;
    trailingSlash = false;
  }

  return joinSegments(raw, kept, mergedBefore, pendingMerge, trailingSlash, encoded);
}

function joinSegments(
  raw: string,
  kept: string[],
  mergedBefore: boolean[],
  mergedAtEnd: boolean,
  trailingSlash: boolean,
  encoded: number,
): CanonicalPath {
  let path = "";
  let mergedAt: number[] | null = null;
  for (let k = 0; k < kept.length; k++) {
    // A merge before the first segment has no segment in front of it to hide.
    if (mergedBefore[k] && k > 0) (mergedAt ??= []).push(path.length);
    path += "/" + kept[k];
  }
  if (mergedAtEnd && kept.length > 0) (mergedAt ??= []).push(path.length);
  if (trailingSlash || path === "") path += "/";
  return { ok: true, path: path === raw ? raw : path, encoded, mergedAt };
}

/**
 * 1 for `.`, 2 for `..`, 0 for an ordinary segment that starts with a dot, -1 for `.;x` or
 * `..;x`: servlet containers strip `;` parameters before resolving dot segments, so such a
 * segment would climb on the upstream after it passed our routing as a plain name.
 */
function dotKind(segment: string): number {
  const semicolon = segment.indexOf(";");
  const head = semicolon === -1 ? segment : segment.slice(0, semicolon);
  const kind = head === "." ? 1 : head === ".." ? 2 : 0;
  return kind !== 0 && semicolon !== -1 ? -1 : kind;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return Number.NaN;
}

/** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x30 && b <= 0x39) ||
    b === 0x2d ||
    b === 0x2e ||
    b === 0x5f ||
    b === 0x7e
  );
}

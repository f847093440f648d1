/**
 * Checks on the segments of a canonical path for text that upstream servers are known to read
 * as a different path than the one the gateway routed on. Each segment is split into pieces at
 * an encoded `/` or `\` (`%2F`, `%5C`), since a decoding upstream sees a separator there:
 * - a piece that is `.` or `..` (or `..;x`, which servlet containers read as `..`) is refused
 *   always: after decoding, the upstream would resolve it and climb out of the route's prefix,
 *   as in `/files/..%2Fadmin`;
 * - unless `allowPadding`, a piece that ends in `.` or starts or ends with a space (`%20`) is
 *   refused: Windows file APIs and IIS drop trailing dots and spaces, so `/admin./users` and
 *   `/admin%20/users` would be served as `/admin/users` after passing a public catch-all here.
 * The path is canonical: escapes have upper-case hex and `%2E` was already decoded to `.`.
 */
export function segmentsAreSafe(path: string, allowPadding: boolean): boolean {
  let start = 1;
  while (start < path.length) {
    let end = path.indexOf("/", start);
    if (end === -1) end = path.length;
    if (!segmentIsSafe(path, start, end, allowPadding)) return false;
    start = end + 1;
  }
  return true;
}

/** Checks each piece of the segment `path[start, end)`, split at `%2F` and `%5C`. */
function segmentIsSafe(path: string, start: number, end: number, allowPadding: boolean): boolean {
  let pieceStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && !isEncodedSeparatorAt(path, i)) continue;
    if (!pieceIsSafe(path, pieceStart, i, allowPadding)) return false;
    pieceStart = i + 3;
    i += 2;
  }
  return true;
}

function isEncodedSeparatorAt(path: string, i: number): boolean {
  if (path.charCodeAt(i) !== 0x25) return false;
  const high = path.charCodeAt(i + 1);
  const low = path.charCodeAt(i + 2);
  return (high === 0x32 && low === 0x46) || (high === 0x35 && low === 0x43);
}

function pieceIsSafe(path: string, start: number, end: number, allowPadding: boolean): boolean {
  if (end === start) return true;
  if (isDotPiece(path, start, end)) return false;
  if (allowPadding) return true;

  if (path.charCodeAt(end - 1) === 0x2e) return false;
  if (path.startsWith("%20", start)) return false;
  return !(end - start >= 3 && path.startsWith("%20", end - 3));
}

/** `.` or `..`, alone or followed by `;parameters`. */
function isDotPiece(path: string, start: number, end: number): boolean {
  let dots = 0;
  while (start + dots < end && dots < 3 && path.charCodeAt(start + dots) === 0x2e) dots++;
  if (dots === 0 || dots === 3) return false;
  return start + dots === end || path.charCodeAt(start + dots) === 0x3b;
}

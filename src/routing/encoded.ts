/**
 * Reserved characters that stay percent-encoded in a canonical path, one bit each. Decoding
 * them would change the path's structure (RFC 3986 §2.2: a reserved character and its
 * percent-encoding are not equivalent), so the canonical path keeps them encoded and records
 * which kinds it saw; a request carrying any kind its route did not opt in to is refused.
 */
export const encodedBits = {
  /** `%2F`: a decoding upstream would read a segment separator. */
  slash: 1,
  /** `%5C`: Windows and some frameworks treat `\` as a separator. */
  backslash: 2,
  /** `%00`: truncates strings in C-based upstreams and file systems. */
  nul: 4,
  /** `%3F`: a decoding upstream would start the query here. */
  question: 8,
  /** `%23`: a decoding upstream would start a fragment here. */
  hash: 16,
} as const;

export type EncodedKind = keyof typeof encodedBits;

/** Every kind at once; handy in tests and for routes that accept anything. */
export const allEncodedBits = 31;

/** Bitmask of the kinds listed in a route's `allowEncoded`. */
export function encodedMaskOf(kinds: readonly EncodedKind[]): number {
  let mask = 0;
  for (const kind of kinds) mask |= encodedBits[kind];
  return mask;
}

/** Names of the kinds in a mask, in a fixed order; for log and error detail text. */
export function encodedKindsOf(mask: number): EncodedKind[] {
  const kinds: EncodedKind[] = [];
  for (const kind of Object.keys(encodedBits) as EncodedKind[]) {
    if ((mask & encodedBits[kind]) !== 0) kinds.push(kind);
  }
  return kinds;
}

/**
 * The bit for a decoded byte that must stay encoded, or 0 when the byte is not one of the
 * recorded kinds.
 */
export function encodedBitOfByte(byte: number): number {
  switch (byte) {
    case 0x2f:
      return encodedBits.slash;
    case 0x5c:
      return encodedBits.backslash;
    case 0x00:
      return encodedBits.nul;
    case 0x3f:
      return encodedBits.question;
    case 0x23:
      return encodedBits.hash;
    default:
      return 0;
  }
}

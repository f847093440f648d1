import { parseAddress, type AddressSet } from "./trusted-proxies.ts";

/**
 * The client address as far as trusted proxies say. Only when the TCP peer is a trusted proxy
 * is X-Forwarded-For read, right to left, skipping trusted hops: the right-most untrusted entry
 * is the first address no trusted party vouches for (anything left of it is client-supplied).
 */
export function resolveClientAddress(
  peer: string,
  forwardedFor: string | null,
  trusted: AddressSet,
): string {
  if (forwardedFor === null || trusted.isEmpty || !trusted.contains(peer)) return peer;
  const hops = forwardedFor.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim();
    if (hop === "") continue;
    // A hop that is not an address cannot name a client; never let it mint a rate-limit key.
    if (parseAddress(hop) === null) return peer;
    if (!trusted.contains(hop)) return hop;
  }
  return peer;
}

import { isIP } from "node:net";

/** A compiled list of CIDR blocks; `contains` is a few integer comparisons per block. */
export interface AddressSet {
  readonly isEmpty: boolean;
  contains(address: string): boolean;
}

interface Block {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly mask: bigint;
}

/** Compiles `10.0.0.0/8`, `127.0.0.2`, `::1/128` style entries once, at config load. */
export function createAddressSet(entries: readonly string[]): AddressSet {
  const blocks = entries.map(parseBlock);
  return {
    isEmpty: blocks.length === 0,
    contains(address) {
      if (blocks.length === 0) return false;
      const parsed = parseAddress(address);
      if (!parsed) return false;
      return blocks.some((b) => b.family === parsed.family && (parsed.bits & b.mask) === b.bits);
    },
  };
}

function parseBlock(entry: string): Block {
  const [address = "", prefixText] = entry.split("/");
  const parsed = parseAddress(address);
  if (!parsed) throw new TypeError(`not an IP address: ${entry}`);
  const width = parsed.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) {
    throw new TypeError(`bad prefix length: ${entry}`);
  }
  const all = (1n << BigInt(width)) - 1n;
  const mask = all ^ ((1n << BigInt(width - prefix)) - 1n);
  return { family: parsed.family, bits: parsed.bits & mask, mask };
}

/** IPv4-mapped IPv6 addresses (::ffff:1.2.3.4) are treated as the IPv4 address they carry. */
export function parseAddress(text: string): { family: 4 | 6; bits: bigint } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  const address = mapped?.[1] ?? text;
  const family = isIP(address);
  if (family === 4) {
    const bits = address.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
    return { family: 4, bits };
  }
  if (family === 6) return { family: 6, bits: parseIpv6(address) };
  return null;
}

function parseIpv6(address: string): bigint {
  const [head = "", tail] = address.split("::");
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const missing = 8 - headParts.length - tailParts.length;
  const zeros = Array<string>(tail === undefined ? 0 : missing).fill("0");
  const groups = [...headParts, ...zeros, ...tailParts];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group || "0", 16)), 0n);
}

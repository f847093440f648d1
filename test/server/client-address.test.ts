import { describe, expect, test } from "bun:test";
import { resolveClientAddress } from "../../src/server/client-address.ts";
import { createAddressSet } from "../../src/server/trusted-proxies.ts";

describe("client address", () => {
  const trusted = createAddressSet(["127.0.0.2", "10.0.0.0/8", "fd00::/8"]);

  test("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(resolveClientAddress("127.0.0.1", "198.51.100.1", trusted)).toBe("127.0.0.1");
  });

  test("takes the right-most untrusted hop from a trusted proxy", () => {
    const chain = "198.51.100.9, 203.0.113.7, 10.1.2.3";
    expect(resolveClientAddress("127.0.0.2", chain, trusted)).toBe("203.0.113.7");
  });

  test("falls back to the peer when the chain holds no usable address", () => {
    expect(resolveClientAddress("127.0.0.2", "10.0.0.5, ", trusted)).toBe("127.0.0.2");
    expect(resolveClientAddress("127.0.0.2", "not-an-ip", trusted)).toBe("127.0.0.2");
  });

  test("matches IPv6 blocks and IPv4-mapped peers", () => {
    expect(trusted.contains("fd12::1")).toBe(true);
    expect(trusted.contains("::ffff:10.9.9.9")).toBe(true);
    expect(trusted.contains("192.168.1.1")).toBe(false);
    expect(createAddressSet([]).contains("127.0.0.1")).toBe(false);
  });
});

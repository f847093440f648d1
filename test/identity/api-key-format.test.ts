import { describe, expect, test } from "bun:test";
import {
  apiKeyPattern,
  generateApiKey,
  looksLikeApiKey,
  parseApiKey,
} from "../../src/identity/api-key-format.ts";

describe("API key format", () => {
  test("a generated key parses back to its prefix and key id", () => {
    const key = generateApiKey("pk_live");
    expect(key.full).toMatch(/^pk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/);
    const parsed = parseApiKey(key.full);
    expect(parsed).toEqual({ prefix: "pk_live", keyId: key.keyId, full: key.full });
  });

  test("carries at least 256 bits of secret and distinct key ids", () => {
    const ids = new Set<string>();
    const secrets = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey("pk_test");
      ids.add(key.keyId);
      secrets.add(key.full.slice(-49, -6));
    }
    expect(ids.size).toBe(200);
    expect(secrets.size).toBe(200);
    // 43 base62 characters hold log2(62) * 43 ≈ 256.03 bits.
    expect(Math.log2(62) * 43).toBeGreaterThanOrEqual(256);
  });

  test("rejects every one-character change through the checksum", () => {
    const key = generateApiKey("pk_live").full;
    let accepted = 0;
    for (let i = 0; i < key.length; i++) {
      const c = key[i]!;
      const swapped = c === "a" ? "b" : c === "_" ? "x" : "a";
      if (parseApiKey(key.slice(0, i) + swapped + key.slice(i + 1))) accepted++;
    }
    expect(accepted).toBe(0);
  });

  test("rejects truncation, extension, case inversion and empty input", () => {
    const key = generateApiKey("pk_live").full;
    const inverted = [...key]
      .map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
      .join("");
    for (const bad of [key.slice(0, -1), `${key}x`, inverted, "", "pk_live__", "a.b.c"]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  test("tells key-shaped bearer values from JWTs", () => {
    expect(looksLikeApiKey(generateApiKey("pk_live").full)).toBe(true);
    expect(looksLikeApiKey("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")).toBe(false);
  });

  test("refuses a prefix that is not two lower-case words", () => {
    expect(() => generateApiKey("PK_live")).toThrow(TypeError);
    expect(() => generateApiKey("pk")).toThrow(TypeError);
  });

  test("the scanner pattern finds keys of any prefix inside text", () => {
    const keys = [generateApiKey("pk_live").full, generateApiKey("acme_test").full];
    const text = `first ${keys[0]}, then "${keys[1]}" and pk_live_short_x`;
    expect([...text.matchAll(apiKeyPattern)].map((m) => m[0])).toEqual(keys);
  });
});

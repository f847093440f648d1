import { describe, expect, test } from "bun:test";
import { canonicalizePath, type PathRules } from "../../src/routing/canonical-path.ts";
import { encodedBits, encodedKindsOf } from "../../src/routing/encoded.ts";

const merge: PathRules = { mergeSlashes: true, caseSensitive: true };
const strict: PathRules = { mergeSlashes: false, caseSensitive: true };
const semicolons: PathRules = { ...merge, allowSemicolons: true };
const padding: PathRules = { ...merge, allowSegmentPadding: true };

function canonical(raw: string, rules = merge): string {
  const result = canonicalizePath(raw, rules);
  if (!result.ok) throw new Error(`${raw} refused with ${result.code}`);
  return result.path;
}

function refusal(raw: string, rules = merge): string {
  const result = canonicalizePath(raw, rules);
  return result.ok ? `accepted as ${result.path}` : result.code;
}

describe("plain paths", () => {
  test("are returned unchanged as the same string", () => {
    const plain = ["/", "/a", "/api/v1/items", "/a-b_c~d/e.f", "/x:y@z!$&'()*+,="];
    for (const raw of plain) {
      const result = canonicalizePath(raw, merge);
      expect(result).toEqual({ ok: true, path: raw, encoded: 0, mergedAt: null });
    }
  });

  test("keep letter case", () => {
    expect(canonical("/Admin/USERS")).toBe("/Admin/USERS");
  });

  test("a dot inside a segment is not a dot segment", () => {
    expect(canonical("/.well-known/x")).toBe("/.well-known/x");
    expect(canonical("/a/..b/c.d")).toBe("/a/..b/c.d");
    expect(canonical("/a/.../b", padding)).toBe("/a/.../b");
  });
});

describe("percent-encoding (RFC 3986 §2.3, §6.2.2)", () => {
  test("decodes unreserved characters once", () => {
    expect(canonical("/%61dmin/users")).toBe("/admin/users");
    expect(canonical("/%41%5a%7e%2D%5f%30")).toBe("/AZ~-_0");
  });

  test("leaves every other escape encoded with upper-case hex", () => {
    expect(canonical("/caf%c3%a9")).toBe("/caf%C3%A9");
    expect(canonical("/a%20b%2bc%25")).toBe("/a%20b%2Bc%25");
  });

  test("decodes only once: %25 stays, so %252e is not a dot", () => {
    expect(canonical("/a/%252e%252e/b")).toBe("/a/%252e%252e/b");
  });

  test("records encoded separators as kinds and keeps them encoded", () => {
    const cases: [string, string, number][] = [
      ["/admin%2fusers", "/admin%2Fusers", encodedBits.slash],
      ["/a%5Cb", "/a%5Cb", encodedBits.backslash],
      ["/a%00b", "/a%00b", encodedBits.nul],
      ["/a%3fb", "/a%3Fb", encodedBits.question],
      ["/a%23b", "/a%23b", encodedBits.hash],
    ];
    for (const [raw, path, bit] of cases) {
      const expected = { ok: true as const, path, encoded: bit, mergedAt: null };
      expect(canonicalizePath(raw, merge)).toEqual(expected);
    }
    const all = canonicalizePath("/%2F%5c%00%3F%23", merge);
    expect(all.ok && encodedKindsOf(all.encoded)).toEqual([
      "slash",
      "backslash",
      "nul",
      "question",
      "hash",
    ]);
  });

  test("refuses malformed escapes", () => {
    for (const raw of ["/a%zz", "/a%", "/a%4", "/a%4g", "/%%41"]) {
      expect(refusal(raw)).toBe("path.invalid");
    }
  });

  test("refuses encoded CR, LF and other control characters, but not NUL", () => {
    for (const raw of ["/a%0d%0aX-Injected:1", "/a%0A", "/a%0D", "/a%09", "/a%1f", "/a%7F"]) {
      expect(refusal(raw)).toBe("path.invalid");
    }
    expect(refusal("/a%00")).toBe("accepted as /a%00");
  });
});

describe("raw characters", () => {
  test("refuses control characters, space, DEL and non-ASCII", () => {
    for (const raw of ["/a\rb", "/a\nb", "/a\u0000", "/a b", "/a\tb", "/a\u007f", "/caf\u00e9"]) {
      expect(refusal(raw)).toBe("path.invalid");
    }
  });

  test("refuses raw backslash, hash and question mark", () => {
    expect(refusal("/public\\..\\admin")).toBe("path.invalid");
    expect(refusal("/a#b")).toBe("path.invalid");
    expect(refusal("/a?b")).toBe("path.invalid");
  });

  test("refuses anything that does not start with /", () => {
    for (const raw of ["", "*", "a/b", "http://x/y"]) expect(refusal(raw)).toBe("path.invalid");
  });
});

describe("dot segments (RFC 3986 §5.2.4)", () => {
  test("resolve raw and decoded dot segments alike", () => {
    expect(canonical("/api/operator/../admin/users")).toBe("/api/admin/users");
    expect(canonical("/api/operator/./reports/../status")).toBe("/api/operator/status");
    expect(canonical("/api/operator/%2e%2e/admin")).toBe("/api/admin");
    expect(canonical("/api/operator/.%2E/admin")).toBe("/api/admin");
    expect(canonical("/api/%2e/x")).toBe("/api/x");
  });

  test("a final dot segment leaves a trailing slash", () => {
    expect(canonical("/admin/.")).toBe("/admin/");
    expect(canonical("/api/operator/..")).toBe("/api/");
    expect(canonical("/a/..")).toBe("/");
  });

  test("climbing above the root is refused", () => {
    expect(refusal("/..")).toBe("path.above_root");
    expect(refusal("/api/operator/../../../../outside-root")).toBe("path.above_root");
    expect(refusal("/%2e%2e/etc/passwd")).toBe("path.above_root");
  });

  test("a dot segment with ;parameters is refused, since servlet containers resolve it", () => {
    expect(refusal("/public/..;/admin")).toBe("path.invalid");
    expect(refusal("/public/.;x/admin")).toBe("path.invalid");
    expect(refusal("/public/..;/admin", semicolons)).toBe("path.invalid");
    expect(canonical("/public/..x;/admin", semicolons)).toBe("/public/..x;/admin");
  });

  test("an encoded slash never forms a dot segment, and never hides one", () => {
    const result = canonicalizePath("/public%2F..b%2Fadmin%2Fusers", merge);
    expect(result).toEqual({
      ok: true,
      path: "/public%2F..b%2Fadmin%2Fusers",
      encoded: encodedBits.slash,
      mergedAt: null,
    });
    expect(refusal("/public%2F..%2Fadmin%2Fusers")).toBe("path.invalid");
  });
});

describe("path parameters (finding: path-parameter bypass)", () => {
  test("a raw ; anywhere in the path is refused by default", () => {
    for (const raw of ["/admin;x/users", "/admin;/users", "/reports/export;x", "/a;b=c/d", "/;"]) {
      expect(refusal(raw)).toBe("path.invalid");
    }
  });

  test("allowSemicolons keeps ; as segment text, unchanged", () => {
    for (const raw of ["/admin;x/users", "/a;b=c/d"]) {
      expect(canonicalizePath(raw, semicolons)).toEqual({
        ok: true,
        path: raw,
        encoded: 0,
        mergedAt: null,
      });
    }
    expect(canonical("/%61dmin;x/./users", semicolons)).toBe("/admin;x/users");
  });

  test("an encoded %3B is ordinary text: kept encoded, with upper-case hex", () => {
    expect(canonical("/admin%3bx/users")).toBe("/admin%3Bx/users");
    expect(canonical("/admin%3B/users")).toBe("/admin%3B/users");
  });
});

describe("padded segments (finding: trailing dot and space)", () => {
  test("a segment ending in . or starting or ending with a space is refused", () => {
    const raws = ["/admin./users", "/admin%2e/users", "/admin%20/users", "/%20admin/users"];
    for (const raw of [...raws, "/reports/export.", "/a/.../b", "/a/%20", "/a/x.%20/b"]) {
      expect(refusal(raw)).toBe("path.invalid");
    }
  });

  test("dots and spaces inside a segment, and dot segments, are fine", () => {
    expect(canonical("/v1.2/file.tar.gz")).toBe("/v1.2/file.tar.gz");
    expect(canonical("/a%20b/c")).toBe("/a%20b/c");
    expect(canonical("/a/./b/../c")).toBe("/a/c");
    expect(canonical("/a%2520/b")).toBe("/a%2520/b");
  });

  test("allowSegmentPadding accepts them unchanged", () => {
    expect(canonical("/admin./users", padding)).toBe("/admin./users");
    expect(canonical("/admin%2E/users", padding)).toBe("/admin./users");
    expect(canonical("/%20admin%20/users", padding)).toBe("/%20admin%20/users");
  });
});

describe("dot pieces between encoded separators (finding: encoded-slash traversal)", () => {
  test("a . or .. piece next to %2F or %5C is refused, raw or encoded dots alike", () => {
    const raws = [
      "/files/%2e%2e%2Fadmin",
      "/files/a%2F..%2F..%2Fadmin",
      "/files/a%2F..",
      "/files/.%2Fadmin",
      "/files/a%2F.%2Fb",
      "/files/a%5C..%5Cadmin",
      "/files/%2E%2E%5cadmin",
      "/files/a%2f%2e%2e",
    ];
    for (const raw of raws) expect(refusal(raw, padding)).toBe("path.invalid");
    expect(refusal("/files/a%2F..;x%2Fb", { ...semicolons, allowSegmentPadding: true })).toBe(
      "path.invalid",
    );
  });

  test("pieces that only start with dots are names", () => {
    expect(canonical("/files/a%2F..b%2F.c")).toBe("/files/a%2F..b%2F.c");
    expect(canonical("/files/a%2F%2Fb")).toBe("/files/a%2F%2Fb");
    expect(canonical("/files/%252e%252e%2Fadmin")).toBe("/files/%252e%252e%2Fadmin");
  });
});

describe("repeated slashes", () => {
  test("are merged by default and their positions reported", () => {
    expect(canonicalizePath("//admin/users", merge)).toEqual({
      ok: true,
      path: "/admin/users",
      encoded: 0,
      mergedAt: null,
    });
    expect(canonicalizePath("/public//docs", merge)).toEqual({
      ok: true,
      path: "/public/docs",
      encoded: 0,
      mergedAt: [7],
    });
    expect(canonical("///admin///users//")).toBe("/admin/users/");
  });

  test("merge before dot segments resolve", () => {
    expect(canonical("/public//..//admin/users")).toBe("/admin/users");
  });

  test("are refused when merging is off", () => {
    expect(refusal("//admin", strict)).toBe("path.invalid");
    expect(refusal("/a//b", strict)).toBe("path.invalid");
    expect(canonical("/a/b/", strict)).toBe("/a/b/");
  });
});

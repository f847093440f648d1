import { describe, expect, test } from "bun:test";
import { buildAccessRecord } from "../../src/log/access-record.ts";
import { createLogger } from "../../src/log/logger.ts";
import { createQueryRedactor, redactQuery } from "../../src/log/redact-query.ts";
import { safeText } from "../../src/log/safe-text.ts";
import { scrubSecrets } from "../../src/log/scrub-secrets.ts";
import type { RequestContext } from "../../src/server/context.ts";

const jwt =
  "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbInVzZXIiXX0." +
  "c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMDEyMzQ1Njc4OQ";
const apiKey = "pk_live_4fQz9XbT2mKa_7Q2mZt9R4vXc8Lp1Hs6Nd3FbQ2mZt9R4vXc8Lp1Hs6Nd3Fb0a1b2c";

function capture() {
  const raw: string[] = [];
  const logger = createLogger({
    level: "trace",
    nodeId: "n1",
    destination: { write: (line: string) => void raw.push(line) },
  });
  return { logger, raw };
}

describe("query redaction", () => {
  test("replaces credential parameter values and keeps the rest byte for byte", () => {
    expect(redactQuery("?q=1&apikey=abc&page=2")).toBe("?q=1&apikey=REDACTED&page=2");
    expect(redactQuery(`?access_token=${jwt}`)).toBe("?access_token=REDACTED");
    expect(redactQuery("?APIKEY=a&ApiKey=b&key")).toBe(
      "?APIKEY=REDACTED&ApiKey=REDACTED&key=REDACTED",
    );
    expect(redactQuery("?api%6Bey=x&a%20b=c")).toBe("?api%6Bey=REDACTED&a%20b=c");
    expect(redactQuery("?q=%zz&token=%zz")).toBe("?q=%zz&token=REDACTED");
    expect(redactQuery("")).toBe("");
    expect(redactQuery("?")).toBe("?");
    const plain = "?q=a%20b&sort=-date";
    expect(redactQuery(plain)).toBe(plain);
  });

  test("uses the configured names", () => {
    const redact = createQueryRedactor(["X-Sig"]);
    expect(redact("?x-sig=1&apikey=2")).toBe("?x-sig=REDACTED&apikey=2");
  });
});

describe("safe text", () => {
  test("escapes control characters, separators and lone surrogates", () => {
    expect(safeText("/a\r\nb\u0000\u001b[31m")).toBe("/a\\u000d\\u000ab\\u0000\\u001b[31m");
    expect(safeText("x\u2028y\u0085z")).toBe("x\\u2028y\\u0085z");
    expect(safeText("\ud800a\udc00")).toBe("\\ud800a\\udc00");
    expect(safeText("ok 😀 ÿ")).toBe("ok 😀 ÿ");
  });

  test("bounds the length", () => {
    expect(safeText("a".repeat(5000), 10)).toBe(`${"a".repeat(10)}…`);
  });
});

describe("secret scrubbing", () => {
  test("removes tokens, keys and auth header values wherever they appear", () => {
    const basic = "Basic YWxpY2U6UGE1NS13MHJkLVhZWg==";
    const text = `failed: Bearer ${jwt} and ${jwt.slice(0, -3)}xyz key=${apiKey} ${basic}`;
    const out = scrubSecrets(text);
    expect(out).not.toContain(jwt.split(".")[2]!);
    expect(out).not.toContain(jwt.split(".")[1]!);
    expect(out).not.toContain(apiKey);
    expect(out).not.toContain("YWxpY2U6UGE1NS13MHJkLVhZWg");
    expect(out).toContain("Bearer [REDACTED]");
    expect(out).toContain("Basic [REDACTED]");
  });

  test("leaves ordinary text alone", () => {
    const line = '{"msg":"token expired for key id k-17","sub":"alice"}';
    expect(scrubSecrets(line)).toBe(line);
  });
});

describe("logger", () => {
  test("redacts credential headers, secrets and claims by path", () => {
    const { logger, raw } = capture();
    logger.info(
      {
        req: {
          headers: { authorization: `Bearer ${jwt}`, cookie: "session=sess-3f9a1c7e5b2d4086" },
        },
        headers: { "x-api-key": apiKey, "proxy-authorization": "Basic dXNlcjpwYXNz" },
        identity: { claims: { email: "a@example.com" }, token: jwt },
        password: "Pa55-w0rd-XYZ",
      },
      "request",
    );
    logger.flush();
    const text = raw.join("");
    for (const secret of [jwt, apiKey, "sess-3f9a1c7e5b2d4086", "Pa55-w0rd-XYZ", "dXNlcjpwYXNz"]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain("a@example.com");
    expect(JSON.parse(raw[0]!).req.headers.authorization).toBe("[REDACTED]");
  });

  test("a value with newlines cannot forge a second record", () => {
    const { logger, raw } = capture();
    const forged = '/x\n{"level":30,"msg":"access","status":200}\r\n';
    logger.info({ path: forged, [forged]: 1 }, forged);
    logger.flush();
    const lines = raw.join("").split("\n").filter(Boolean);
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0]!).path).toBe(forged);
  });
});

describe("access record", () => {
  test("carries the request facts with the query redacted and the path escaped", () => {
    const ctx = {
      requestId: "r-1",
      method: "GET",
      path: "/v1/orders\n{\"forged\":1}",
      query: `?id=7&access_token=${jwt}`,
      clientAddress: "10.1.2.3",
      route: { id: "orders" },
      upstreamTarget: "http://127.0.0.1:9001",
      upstreamError: "timeout",
      ruleId: "r-allow",
      reason: null,
    } as unknown as RequestContext;
    const record = buildAccessRecord(ctx, 504, 12.34567);
    expect(record).toEqual({
      msg: "access",
      requestId: "r-1",
      route: "orders",
      method: "GET",
      path: '/v1/orders\\u000a{"forged":1}',
      query: "?id=7&access_token=REDACTED",
      client: "10.1.2.3",
      status: 504,
      upstream: "http://127.0.0.1:9001",
      upstreamError: "timeout",
      durationMs: 12.346,
      ruleId: "r-allow",
      reason: null,
    });
    const { logger, raw } = capture();
    logger.info(record);
    logger.flush();
    expect(JSON.parse(raw[0]!)).toMatchObject({ msg: "access", status: 504, node: "n1" });
  });
});

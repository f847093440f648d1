import { z } from "zod";

/**
 * Trusted JWT issuers: where their keys come from, which algorithms they may use, and how their
 * claims are checked and mapped. Part of the identity section (identity.ts).
 */

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/, "ids use letters, digits, . _ @ : -");

/** Public-key algorithms only: `none` and HMAC are never accepted (RFC 8725 §3.1, §3.2). */
export const jwtAlgorithm = z.enum([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
]);
export type JwtAlgorithm = z.infer<typeof jwtAlgorithm>;

const claimNamesSchema = z.strictObject({
  subject: z.string().default("sub"),
  tenant: z.string().default("tenant"),
  /** An array, or a string split on spaces and commas. */
  roles: z.string().default("roles"),
  /** RFC 8693 §4.2 `scope` (space-separated string) or an array such as `scp`. */
  scopes: z.string().default("scope"),
  email: z.string().default("email"),
});

const staticKeySchema = z
  .strictObject({
    kid: z.string().min(1).optional(),
    /** A public JWK (RFC 7517). Private members are refused. */
    jwk: z.record(z.string(), z.unknown()).optional(),
    /** A PEM SPKI public key; `alg` then says which algorithm it is for. */
    pem: z.string().optional(),
    alg: jwtAlgorithm.optional(),
  })
  .refine((k) => (k.jwk ? 1 : 0) + (k.pem ? 1 : 0) === 1, "give exactly one of jwk or pem")
  .refine((k) => !k.pem || k.alg, "a pem key needs alg")
  .refine((k) => !k.jwk || !("d" in k.jwk || "k" in k.jwk), "private or symmetric JWKs refused");

export const issuerSchema = z
  .strictObject({
    /** Name used in routes' `auth.jwt`. */
    id,
    /** Exact `iss` value (RFC 7519 §4.1.1), compared as a string. */
    issuer: z.string().min(1),
    /** Accepted `aud` values; a token must name at least one, compared exactly. */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    keys: z.array(staticKeySchema).optional(),
    algorithms: z.array(jwtAlgorithm).min(1).default(["RS256", "ES256", "EdDSA"]),
    leewaySec: z.number().int().min(0).max(300).default(60),
    /** Refuse tokens whose `iat` is older than this. */
    maxTokenAgeSec: z.number().int().positive().optional(),
    /** Refuse tokens whose `exp − iat` exceeds this (tokens then need `iat`). */
    maxLifetimeSec: z.number().int().positive().optional(),
    /** Required `typ` header, e.g. `at+jwt` (RFC 9068 §2.1). */
    typ: z.string().optional(),
    claims: claimNamesSchema.prefault({}),
    jwks: z
      .strictObject({
        refreshIntervalMs: z.number().int().min(1000).default(300_000),
        /** On-demand refetches on an unknown `kid` happen at most this often. */
        minRefetchIntervalMs: z.number().int().min(100).default(30_000),
        fetchTimeoutMs: z.number().int().min(100).max(30_000).default(2_000),
        /** After a failed refresh, try again this soon (last good keys stay in use). */
        retryIntervalMs: z.number().int().min(100).default(10_000),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024),
      })
      .prefault({}),
    /** Verified tokens kept (by SHA-256 of the token) while their time claims allow. */
    cacheMaxEntries: z.number().int().min(0).default(10_000),
    /** No usable keys at all (never fetched): `deny` answers 503, `allow` passes as anonymous. */
    onError: z.enum(["deny", "allow"]).default("deny"),
  })
  .refine(
    (i) => (i.jwksUrl ? 1 : 0) + (i.keys ? 1 : 0) === 1,
    "give exactly one of jwksUrl or keys",
  );

export type IssuerConfig = z.infer<typeof issuerSchema>;
export type StaticKeyConfig = z.infer<typeof staticKeySchema>;

import { z } from "zod";
import { issuerSchema } from "./identity-issuers.ts";

export { jwtAlgorithm, type IssuerConfig, type JwtAlgorithm } from "./identity-issuers.ts";

/**
 * Identity configuration: how each route authenticates callers (`routeAuthSchema`) and the
 * consumers, API keys, JWT issuers, minted tokens and client certificates behind it
 * (`identitySchema`). Owned by the identity subsystem.
 */

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/, "ids use letters, digits, . _ @ : -");
/** RFC 9110 §5.1 field-name token. */
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name")
  .transform((name) => name.toLowerCase());
const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, "must be an IP address or CIDR such as 10.0.0.0/8");
const isoTime = z.iso.datetime({ offset: true });

/** Headers a route may never map identity into: credentials, framing and routing headers. */
const reservedHeaders = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "upgrade",
  "te",
  "x-api-key",
]);
const identityHeaderName = headerName
  .refine((n) => !reservedHeaders.has(n), "this header cannot carry identity")
  .nullable();

/** Id of the gateway's own token issuer in a route's `auth.jwt` list. */
export const gatewayIssuerId = "gateway";

const apiKeyRouteSchema = z.strictObject({
  /** Header carrying the key; `Authorization: Bearer <key>` is always accepted as well. */
  header: headerName.default("x-api-key"),
  /** Query parameter accepted as a key (case-sensitive name). Off unless set: URLs get logged. */
  queryParam: z
    .string()
    .regex(/^[A-Za-z0-9._~-]+$/)
    .optional(),
});

const identityHeadersSchema = z.strictObject({
  subject: identityHeaderName.default("x-user-id"),
  roles: identityHeaderName.default("x-user-roles"),
  tenant: identityHeaderName.default("x-tenant-id"),
  email: identityHeaderName.default("x-user-email"),
  scopes: identityHeaderName.default(null),
});

const upstreamTokenSchema = z.strictObject({
  /** `aud` of the token: the backend that should accept it. */
  audience: z.string().min(1),
  ttlSec: z.number().int().min(10).max(3600).default(60),
  /** `authorization` sends `Bearer <token>`; any other header carries the bare token. */
  header: headerName.default("authorization"),
});

/** How a route authenticates callers. No authenticator listed: the route is public. */
export const routeAuthSchema = z
  .strictObject({
    /** Requests without any credential pass as anonymous; a bad credential is still 401. */
    anonymous: z.boolean().default(false),
    /** Accept API keys: `true` for the defaults, or header/query settings. */
    apiKey: z.union([z.boolean(), apiKeyRouteSchema]).default(false),
    /** Ids of trusted issuers (`identity.issuers[].id`, or `gateway` for minted tokens). */
    jwt: z.array(id).default([]),
    /** Accept client-certificate identities (listener or trusted forwarded header). */
    clientCert: z.boolean().default(false),
    /** Send the caller's credential upstream. Off: backends never see partner secrets. */
    forwardCredentials: z.boolean().default(false),
    /** Where identity goes upstream; null leaves one out. Client copies are always deleted. */
    identityHeaders: identityHeadersSchema.prefault({}),
    /** Attach a freshly minted, audience-bound JWT describing the caller. */
    upstreamToken: upstreamTokenSchema.optional(),
  })
  .refine((a) => !(a.forwardCredentials && a.upstreamToken?.header === "authorization"), {
    message: "upstreamToken.header authorization would overwrite forwarded credentials",
  })
  .prefault({});

export type RouteAuthConfig = z.infer<typeof routeAuthSchema>;

const consumerSchema = z.strictObject({
  id,
  tenant: z.string().min(1).optional(),
  roles: z.array(z.string().min(1)).default([]),
  scopes: z.array(z.string().min(1)).default([]),
  metadata: z.record(z.string(), z.string()).default({}),
  expiresAt: isoTime.optional(),
  disabled: z.boolean().default(false),
});

const forwardedCertSchema = z.strictObject({
  /** `xfcc`: Envoy's X-Forwarded-Client-Cert; `pem`: URL-escaped PEM (nginx, HAProxy). */
  format: z.enum(["xfcc", "pem"]).default("xfcc"),
  header: headerName.default("x-forwarded-client-cert"),
  /** Only these peers may send the header; from anyone else it is removed and ignored. */
  trustedProxies: z.array(cidr).min(1),
  /** PEM CA bundle the forwarded certificate must be issued by (chain of one). */
  caFile: z.string().optional(),
  /** Which name in the certificate is the consumer id. */
  subjectFrom: z.enum(["cn", "uri", "dns"]).default("cn"),
});

const certListenerSchema = z.strictObject({
  id,
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535),
  certFile: z.string(),
  keyFile: z.string(),
  /** Only clients whose certificate chains to this CA complete the handshake. */
  caFile: z.string(),
  crlFile: z.string().optional(),
  /** Every request on this listener is this consumer. */
  consumer: id,
});

export const identitySchema = z
  .strictObject({
    store: z
      .strictObject({
        /** SQLite file, relative to `dataDir` unless absolute. */
        file: z.string().default("identity.sqlite"),
        /** How often the store is polled for changes by other processes (CLI, other nodes). */
        pollMs: z.number().int().min(20).max(250).default(200),
        /** Last-used times are written in batches this often, never once per request. */
        lastUsedFlushMs: z.number().int().min(100).default(10_000),
      })
      .prefault({}),
    apiKeys: z
      .strictObject({
        /** Two lower-case words, e.g. `pk_live`; scanners match on it. */
        prefix: z
          .string()
          .regex(/^[a-z][a-z0-9]{0,7}_[a-z0-9]{1,12}$/)
          .default("pk_live"),
        /** Default overlap during which a rotated key keeps working. */
        rotationGraceSec: z.number().int().min(0).default(86_400),
      })
      .prefault({}),
    consumers: z.array(consumerSchema).default([]),
    issuers: z.array(issuerSchema).default([]),
    tokens: z
      .strictObject({
        /** Serve `POST /oauth/token` on the proxy listener. */
        endpoint: z.boolean().default(false),
        /** `iss` of minted tokens. */
        issuer: z.string().min(1).default("urn:portcullis:gateway"),
        /** `aud` of tokens from the endpoint; routes accept them via `auth.jwt: [gateway]`. */
        audience: z.string().min(1).default("portcullis"),
        ttlSec: z.number().int().min(10).max(86_400).default(300),
        algorithm: z.enum(["EdDSA", "ES256"]).default("EdDSA"),
        /** Issuers whose tokens may be exchanged (RFC 8693 `subject_token`). */
        exchangeIssuers: z.array(id).default([]),
        leewaySec: z.number().int().min(0).max(300).default(30),
      })
      .prefault({}),
    clientCert: z
      .strictObject({
        listeners: z.array(certListenerSchema).default([]),
        forwarded: forwardedCertSchema.optional(),
      })
      .prefault({}),
  })
  .prefault({});

export type IdentityConfig = z.infer<typeof identitySchema>;
export type ConsumerConfig = z.infer<typeof consumerSchema>;
export type ForwardedCertConfig = z.infer<typeof forwardedCertSchema>;
export type CertListenerConfig = z.infer<typeof certListenerSchema>;

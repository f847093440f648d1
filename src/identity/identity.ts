/**
 * Who is calling, as established by an authentication check. Everything after authentication
 * (authorization, rate limits, audit, identity headers to upstreams) reads only this shape.
 */
export interface Identity {
  /** Consumer id for API keys and minted tokens, `sub` for third-party JWTs. */
  readonly subject: string;
  readonly kind: "api-key" | "jwt" | "minted-token" | "client-cert";
  /** API key id, JWT `jti`, or listener id for client certificates; never a secret. */
  readonly credentialId: string | null;
  readonly tenant: string | null;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  /** RFC 8693 `act` chain, outermost actor first: on whose behalf the caller acts. */
  readonly actorChain: readonly string[];
  /** Token issuer for JWTs; null for API keys. */
  readonly issuer: string | null;
  /** E-mail claim (JWT) or consumer metadata `email`, when known. */
  readonly email?: string | null;
  /**
   * For minted tokens: the API key they were exchanged from, so revoking that key also stops
   * the tokens. Null for tokens exchanged from another issuer's token.
   */
  readonly sourceKeyId?: string | null;
  /**
   * Roles interned into a bitmask by the policy tables of one config generation. Filled lazily
   * by authorization and cached here so a cached identity is interned once, not per request.
   */
  roleMask?: { generation: number; mask: Uint32Array };
}

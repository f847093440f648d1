import { z } from "zod";

/** How a route authenticates callers. Owned by the identity subsystem. */
export const routeAuthSchema = z
  .strictObject({
    /** Let requests without credentials through as anonymous. */
    anonymous: z.boolean().default(false),
  })
  .prefault({});

/** Consumers, API keys, JWT issuers, the token endpoint and client certificates. */
export const identitySchema = z.strictObject({}).prefault({});

import { z } from "zod";

/** Per-route authorization settings. Owned by the policy subsystem. */
export const routeAccessSchema = z.strictObject({}).optional();

/** Roles, permissions and deny rules compiled into decision tables. */
export const policySchema = z.strictObject({}).prefault({});

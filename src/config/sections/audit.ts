import { z } from "zod";

/** The audit trail: where segments go, batching, failure mode. Owned by the audit subsystem. */
export const auditSchema = z.strictObject({}).prefault({});

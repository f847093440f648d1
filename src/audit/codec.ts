import { Packr, Unpackr } from "msgpackr";
import type { QueryRedactor } from "../log/redact-query.ts";
import { safeText } from "../log/safe-text.ts";
import type { AuditEvent } from "./event.ts";

/**
 * Batch payloads are one msgpack array of records packed with msgpackr's record extension:
 * the field names are written once per batch as a record definition and every record after
 * that is just its values. Structures are deliberately not shared across batches (no
 * `structures`, no `sequential`), so each batch decodes on its own: a reader can start at any
 * frame, and a cut or damaged batch takes no other batch with it.
 */
const packr = new Packr({ useRecords: true });
const unpackr = new Unpackr({ useRecords: true });

/**
 * Readies records for disk, off the request path: redacts credential query parameters,
 * escapes control characters in every field a client or token issuer controls, and rounds
 * the duration to microseconds.
 */
export function sanitizeEvent(event: AuditEvent, redactQuery: QueryRedactor): AuditEvent {
  const e = event as { -readonly [K in keyof AuditEvent]: AuditEvent[K] };
  e.path = safeText(e.path);
  e.query = e.query === "" ? "" : safeText(redactQuery(e.query));
  e.host = safeText(e.host, 256);
  e.method = safeText(e.method, 32);
  if (e.subject !== null) e.subject = safeText(e.subject, 256);
  if (e.credentialId !== null) e.credentialId = safeText(e.credentialId, 256);
  if (e.tenant !== null) e.tenant = safeText(e.tenant, 256);
  if (e.actorChain !== null) e.actorChain = e.actorChain.map((a) => safeText(a, 256));
  e.durationMs = Math.round(e.durationMs * 1000) / 1000;
  return e;
}

/** Encodes sanitized records into one self-contained batch payload. */
export function encodeRecords(records: readonly AuditEvent[]): Uint8Array {
  return packr.pack(records);
}

/** Decodes a batch payload; throws on bytes that are not a msgpack array of records. */
export function decodeRecords(payload: Uint8Array): AuditEvent[] {
  const value: unknown = unpackr.unpack(payload);
  if (!Array.isArray(value)) throw new TypeError("audit batch payload is not an array");
  return value as AuditEvent[];
}

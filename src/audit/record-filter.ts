import type { AuditEvent } from "./event.ts";

/** What an investigator can ask for; every given criterion must hold. */
export interface RecordCriteria {
  /** Inclusive lower bound, ms since the epoch. */
  readonly since?: number;
  /** Exclusive upper bound. */
  readonly until?: number;
  /** Subject: consumer id or token `sub`. */
  readonly identity?: string;
  readonly credential?: string;
  readonly tenant?: string;
  readonly route?: string;
  readonly decision?: string;
  /** `503`, or a class such as `5xx`. */
  readonly status?: string;
  readonly requestId?: string;
}

/**
 * Compiles criteria into one predicate, once, so that scanning a million records costs a
 * few comparisons each. Throws TypeError on a malformed status filter.
 */
export function createRecordFilter(criteria: RecordCriteria): (record: AuditEvent) => boolean {
  const tests: Array<(r: AuditEvent) => boolean> = [];
  const { since, until, identity, credential, tenant, route, decision, requestId } = criteria;
  if (since !== undefined) tests.push((r) => r.time >= since);
  if (until !== undefined) tests.push((r) => r.time < until);
  if (identity !== undefined) tests.push((r) => r.subject === identity);
  if (credential !== undefined) tests.push((r) => r.credentialId === credential);
  if (tenant !== undefined) tests.push((r) => r.tenant === tenant);
  if (route !== undefined) tests.push((r) => r.route === route);
  if (decision !== undefined) tests.push((r) => r.decision === decision);
  if (requestId !== undefined) tests.push((r) => r.requestId === requestId);
  if (criteria.status !== undefined) tests.push(statusTest(criteria.status));

  if (tests.length === 0) return () => true;
  return (record) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(record)) return false;
    return true;
  };
}

function statusTest(text: string): (r: AuditEvent) => boolean {
  const exact = /^[1-5]\d\d$/.exec(text);
  if (exact) {
    const status = Number(text);
    return (r) => r.status === status;
  }
  const klass = /^([1-5])xx$/i.exec(text);
  if (klass) {
    const hundreds = Number(klass[1]);
    return (r) => Math.trunc(r.status / 100) === hundreds;
  }
  throw new TypeError(`--status takes a code such as 503 or a class such as 5xx, not "${text}"`);
}

/**
 * Parses a time bound: an ISO 8601 date or date-time, milliseconds since the epoch, or an age
 * such as `15m`, `2h`, `7d` (that long before `now`).
 */
export function parseTimeBound(text: string, now = Date.now()): number {
  const age = /^(\d+)(s|m|h|d)$/.exec(text);
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "s"];
    return now - Number(age[1]) * unit;
  }
  if (/^\d{10,}$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) {
    throw new TypeError(`not a time: "${text}" (use ISO 8601, epoch ms, or an age like 15m)`);
  }
  return parsed;
}

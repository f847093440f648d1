/** Inbound ids are kept only when they look like ids: short, printable, no separators to abuse. */
const wellFormedId = /^[A-Za-z0-9._:-]{8,128}$/;

let counter = 0;
const prefix = crypto.randomUUID().slice(0, 8);

/**
 * Propagates a well-formed inbound X-Request-Id, otherwise makes one. Generated ids are a
 * per-process random prefix plus a counter: unique, sortable within a process, and far cheaper
 * than a UUID per request.
 */
export function requestIdFor(inbound: string | null): string {
  if (inbound !== null && wellFormedId.test(inbound)) return inbound;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}

#!/usr/bin/env bun
import { parseArgs } from "node:util";
import { generateLoad } from "./generator.ts";

/**
 * The bundled load generator as its own process, so it can be pinned to its own core and its
 * CPU kept apart from the process under test. Prints one JSON `LoadResult` line on stdout.
 *
 *   bun bench/load/main.ts --url http://127.0.0.1:8080/ -c 50 -d 5000 -H 'x-api-key: …'
 */
const { values } = parseArgs({
  options: {
    url: { type: "string" },
    connections: { type: "string", short: "c", default: "50" },
    "duration-ms": { type: "string", short: "d", default: "5000" },
    "timeout-ms": { type: "string", default: "2000" },
    header: { type: "string", short: "H", multiple: true, default: [] },
  },
  strict: true,
});

if (!values.url) {
  console.error("usage: main.ts --url URL [-c CONNECTIONS] [-d DURATION_MS] [-H 'name: value']");
  process.exit(2);
}
const headers: Record<string, string> = {};
for (const line of values.header ?? []) {
  const colon = line.indexOf(":");
  if (colon <= 0) throw new TypeError(`header must be 'name: value', got ${line}`);
  headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
}

const result = await generateLoad({
  url: values.url,
  connections: positive(values.connections, "connections"),
  durationMs: positive(values["duration-ms"], "duration-ms"),
  timeoutMs: positive(values["timeout-ms"], "timeout-ms"),
  headers,
});
console.log(JSON.stringify(result));
process.exit(0);

function positive(text: string | undefined, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`--${name} must be a positive integer`);
  }
  return value;
}

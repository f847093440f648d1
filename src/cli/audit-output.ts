import { writeSync } from "node:fs";
import { auditFields, type AuditEvent } from "../audit/event.ts";

/**
 * Record as printed: the same fields, with `time` as an ISO 8601 string. Rewrites the decoded
 * record in place (the reader hands out fresh objects) to spare a copy per record.
 */
export function printable(record: AuditEvent): Record<string, unknown> {
  const view = record as unknown as Record<string, unknown>;
  if (typeof view.time === "number") view.time = new Date(view.time).toISOString();
  return view;
}

export function jsonLine(record: AuditEvent): string {
  return `${JSON.stringify(printable(record))}\n`;
}

export const csvHeader = `${auditFields.join(",")}\n`;

/**
 * One CSV row (RFC 4180). Lists are written as JSON. A cell that a spreadsheet would run as a
 * formula (starting with = + - @ or a tab) gets a leading apostrophe: record values come from
 * clients, and an export is often opened in a spreadsheet.
 */
export function csvLine(record: AuditEvent): string {
  const view = printable(record);
  let line = "";
  for (let i = 0; i < auditFields.length; i++) {
    if (i > 0) line += ",";
    line += csvCell(view[auditFields[i]!]);
  }
  return `${line}\n`;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Buffers output into large synchronous writes to a file descriptor (stdout by default), so a
 * million-record export neither piles up in memory behind a slow reader nor loses its tail
 * at exit. A reader that goes away (`| head`) ends the process quietly.
 */
export class OutputBuffer {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly fd = 1) {}

  write(text: string): void {
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= 256 * 1024) this.flush();
  }

  flush(): void {
    if (this.chunks.length === 0) return;
    const bytes = Buffer.from(this.chunks.join(""));
    this.chunks = [];
    this.size = 0;
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EPIPE") process.exit(0);
        if (code !== "EAGAIN") throw error;
        Bun.sleepSync(1);
      }
    }
  }
}

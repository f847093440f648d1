import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import pino, { type DestinationStream, type Logger } from "pino";
import { scrubSecrets } from "./scrub-secrets.ts";

/**
 * Paths pino blanks out wherever they appear. Credentials arrive in headers, query strings and
 * token claims; a log line travels further than the request did, so none of them may reach it.
 * Token claims are dropped whole: log the subject, key id or a fingerprint instead.
 */
export const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-api-key']",
  "req.headers['proxy-authorization']",
  "res.headers['set-cookie']",
  "headers.authorization",
  "headers.cookie",
  "headers['set-cookie']",
  "headers['x-api-key']",
  "headers['proxy-authorization']",
  "*.headers.authorization",
  "*.headers.cookie",
  "*.headers['x-api-key']",
  "*.headers['proxy-authorization']",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "idToken",
  "apiKey",
  "apikey",
  "secret",
  "clientSecret",
  "password",
  "hmacKey",
  "claims",
  "*.token",
  "*.accessToken",
  "*.access_token",
  "*.apiKey",
  "*.apikey",
  "*.secret",
  "*.clientSecret",
  "*.password",
  "*.hmacKey",
  "*.claims",
];

export type { Logger };

export interface LoggerOptions {
  readonly level: string;
  /** File to append to; stdout when absent. */
  readonly file?: string;
  readonly nodeId: string;
  /** Batch size for writes; 0 or absent writes each line at once. */
  readonly bufferBytes?: number;
  /** Write here instead (tests and benches); overrides `file`. */
  readonly destination?: DestinationStream;
}

/**
 * With `log.bufferBytes`, lines are written in batches rather than one write per line (one
 * access record per request cost about 110 µs of CPU as single writes). A timer writes what is
 * buffered every 100 ms, and `flushLogger` writes the rest at shutdown.
 */
const logFlushIntervalMs = 100;

/**
 * Opens the log file before the gateway starts listening, so an unusable path (a folder that
 * cannot be made, no permission) stops the start with one clear error instead of failing later.
 */
function openLogFile(file: string): number {
  try {
    mkdirSync(dirname(file), { recursive: true });
    return openSync(file, "a");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`cannot open log.file ${file} (${reason})`);
  }
}

/**
 * A destination that writes in batches of `logBufferBytes`, and at least every
 * `logFlushIntervalMs`, so a quiet gateway's lines still reach the file promptly.
 */
function bufferedDestination(fd: number, bufferBytes: number) {
  const destination = pino.destination({ dest: fd, sync: false, minLength: bufferBytes });
  if (bufferBytes > 0) setInterval(() => destination.flush(), logFlushIntervalMs).unref();
  return destination;
}

/** Writes every buffered line; call before the process exits. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/**
 * The one place log levels and destinations are chosen. Every line is JSON (pino escapes
 * control characters in keys and values, so a value cannot end its record and start another)
 * and passes through `scrubSecrets` before it is written.
 */
export function createLogger(options: LoggerOptions): Logger {
  const fd = options.file ? openLogFile(options.file) : 1;
  const destination = options.destination ?? bufferedDestination(fd, options.bufferBytes ?? 0);
  return pino(
    {
      level: options.level,
      base: { node: options.nodeId },
      redact: { paths: redactedPaths, censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: scrubSecrets },
    },
    destination,
  );
}

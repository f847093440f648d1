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
  /** Write here instead (tests and benches); overrides `file`. */
  readonly destination?: DestinationStream;
}

/**
 * The one place log levels and destinations are chosen. Every line is JSON (pino escapes
 * control characters in keys and values, so a value cannot end its record and start another)
 * and passes through `scrubSecrets` before it is written.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.destination ??
    (options.file
      ? pino.destination({ dest: options.file, append: true, mkdir: true, sync: false })
      : pino.destination({ dest: 1, sync: false }));
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

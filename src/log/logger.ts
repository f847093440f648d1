import pino, { type Logger } from "pino";

/**
 * Paths pino blanks out wherever they appear. Credentials arrive in headers, query strings and
 * token claims; a log line travels further than the request did, so none of them may reach it.
 */
export const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-api-key']",
  "req.headers['proxy-authorization']",
  "res.headers['set-cookie']",
  "headers.authorization",
  "headers.cookie",
  "headers['x-api-key']",
  "headers['proxy-authorization']",
  "token",
  "apiKey",
  "secret",
  "password",
  "*.token",
  "*.apiKey",
  "*.secret",
  "*.password",
];

export type { Logger };

export interface LoggerOptions {
  readonly level: string;
  /** File to append to; stdout when absent. */
  readonly file?: string;
  readonly nodeId: string;
}

/** The one place log levels and destinations are chosen. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.file
    ? pino.destination({ dest: options.file, append: true, mkdir: true, sync: false })
    : pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: options.level,
      base: { node: options.nodeId },
      redact: { paths: redactedPaths, censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

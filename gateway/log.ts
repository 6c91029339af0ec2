/**
 * One pino root logger per process. JSON lines on stdout by default (journald and log shippers parse
 * them); a human-readable mode for terminals. Secrets never reach a log line: they are resolved into
 * options that are not logged, and `redact` is a second line of defence for the usual field names.
 */
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LogOptions {
  readonly level?: string | undefined;
  /** Human-readable output; default: when stdout is a terminal. */
  readonly pretty?: boolean | undefined;
  /** Where to write (default stdout); tests pass a stream to capture lines. */
  readonly destination?: DestinationStream;
  /** Log to stderr (the demo keeps stdout for the messages it prints). */
  readonly stderr?: boolean;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.FIELDBRIDGE_LOG_LEVEL ?? 'info';
  const base = {
    level,
    base: { service: 'fieldbridge' },
    redact: {
      paths: ['password', '*.password', 'passphrase', '*.passphrase', 'key', '*.key'],
      censor: '[secret]',
    },
  };
  const fd = options.stderr === true ? 2 : 1;
  const tty = (fd === 2 ? process.stderr : process.stdout).isTTY === true;
  const wantPretty = options.pretty ?? tty;
  if (options.destination !== undefined) return pino(base, options.destination);
  if (wantPretty) {
    // Loaded only for humans: a service writing JSON lines never pays for it at start.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    return pino(
      base,
      pretty({
        // pino-pretty writes to stdout unless told: the demo's and commissioning commands' logs belong on
        // stderr, apart from what they print on stdout.
        destination: fd,
        colorize: tty,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
      }),
    );
  }
  return pino(base, pino.destination(fd));
}

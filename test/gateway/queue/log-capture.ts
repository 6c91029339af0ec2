/** A pino logger whose lines the test can read back synchronously (level number, msg and fields). */
import { pino } from 'pino';
import type { Logger } from '../../../gateway/log.ts';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface CapturedLog {
  readonly log: Logger;
  readonly lines: LogLine[];
  /** Messages of lines at `minLevel` or above (pino numbers: 30 info, 40 warn, 50 error). */
  messages(minLevel?: number): string[];
}

export function captureLog(): CapturedLog {
  const lines: LogLine[] = [];
  // A bare { write } destination: pino calls it synchronously, so a line is readable right after the call.
  const destination = {
    write(line: string) {
      lines.push(JSON.parse(line) as LogLine);
    },
  };
  return {
    log: pino({ level: 'trace' }, destination),
    lines,
    messages: (minLevel = 0) => lines.filter((l) => l.level >= minLevel).map((l) => l.msg),
  };
}

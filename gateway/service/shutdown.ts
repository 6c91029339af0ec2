/**
 * Shutdown with a deadline: systemd kills the service after TimeoutStopSec (20 s in the unit), and a
 * SIGKILL mid-write is the one thing the queue should never see. So the orderly stop (devices → publisher
 * drain ≤ 2 s → queue close) gets STOP_DEADLINE_MS; past it the process exits by itself, logging which
 * step hung. After a clean stop the process also exits if a stray handle would keep it alive.
 */
import type { Logger } from '../log.ts';

export const STOP_DEADLINE_MS = 15_000;
/** Grace for the event loop to empty by itself after a clean stop (logs flushed) before forcing exit. */
const EXIT_GRACE_MS = 1_000;

export interface ShutdownOptions {
  readonly stop: () => Promise<void>;
  readonly log: Logger;
  readonly deadlineMs?: number;
  /** process.exit, injectable for tests. */
  readonly exit?: (code: number) => void;
}

/** Stops within the deadline; resolves with the exit code (0 clean, 1 failed or too slow). */
export function stopWithDeadline(options: ShutdownOptions): Promise<number> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadline = options.deadlineMs ?? STOP_DEADLINE_MS;
  return new Promise((resolveCode) => {
    const timer = setTimeout(() => {
      options.log.error('shutdown did not finish within %d ms: exiting anyway', deadline);
      exit(1);
    }, deadline);
    timer.unref();
    options.stop().then(
      () => {
        clearTimeout(timer);
        resolveCode(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        options.log.error({ err: error }, 'shutdown failed');
        resolveCode(1);
      },
    );
  });
}

/** After the caller set the exit code: exit once the grace has passed if something still holds the loop. */
export function exitSoon(code: number, exit: (code: number) => void = (c) => process.exit(c)): void {
  setTimeout(() => exit(code), EXIT_GRACE_MS).unref();
}

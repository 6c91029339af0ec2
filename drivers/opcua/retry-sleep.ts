/**
 * The wait between two connection attempts: the backoff delay, cut short by stop(), or, after fieldbridge
 * refused the server's certificate, by a change in the trust store (`fieldbridge opcua trust` moving the
 * certificate to trusted/certs): the operator who just trusted a server sees it connect at once, not
 * after up to 30 s of backoff.
 */
import { type FSWatcher, watch } from 'node:fs';

export interface RetrySleep {
  /** Resolves when the delay is over or the sleep was woken. */
  readonly done: Promise<void>;
  wake(): void;
}

/** `wakeOnChangeIn`: a folder whose changes end the sleep early (ignored when it cannot be watched). */
export function sleepBeforeRetry(delayMs: number, wakeOnChangeIn?: string): RetrySleep {
  let wake: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    let watcher: FSWatcher | undefined;
    const timer = setTimeout(() => wake(), delayMs);
    wake = () => {
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    if (wakeOnChangeIn === undefined) return;
    try {
      watcher = watch(wakeOnChangeIn, () => wake());
      // A watcher that fails later (folder removed) just leaves the timer to end the sleep.
      watcher.on('error', () => watcher?.close());
    } catch {
      // No such folder yet, or no inotify: the backoff delay alone decides.
    }
  });
  return { done, wake: () => wake() };
}

/** Errors the queue raises, with stable codes callers can branch on. */

export type QueueErrorCode =
  | 'QUEUE_CLOSED'
  | 'QUEUE_LOCKED'
  | 'QUEUE_WRITE_FAILED'
  | 'QUEUE_OPEN_FAILED'
  | 'QUEUE_BACK_PRESSURE';

export class QueueError extends Error {
  readonly code: QueueErrorCode;

  constructor(code: QueueErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueError';
    this.code = code;
  }
}

export function closedError(what: string): QueueError {
  return new QueueError('QUEUE_CLOSED', `queue ${what} is not open (call open() first, or it was closed)`);
}

/** The deepest `cause` of an error chain (LevelDB's own error under classic-level's wrappers). */
export function innermostError(err: unknown): unknown {
  let e = err;
  while ((e as { cause?: unknown })?.cause !== undefined) e = (e as { cause?: unknown }).cause;
  return e;
}

/** The message of the deepest cause: the part that says what went wrong on disk. */
export function describeError(err: unknown): string {
  const e = innermostError(err);
  return e instanceof Error ? e.message : String(e);
}

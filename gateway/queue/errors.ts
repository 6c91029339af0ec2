/** Errors the queue raises, with stable codes callers can branch on. */

export type QueueErrorCode = 'QUEUE_CLOSED' | 'QUEUE_LOCKED' | 'QUEUE_WRITE_FAILED' | 'QUEUE_OPEN_FAILED';

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

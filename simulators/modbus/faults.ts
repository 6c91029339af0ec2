/**
 * Misbehaviours the simulator can be switched into at run time, so driver tests (and fault tests) can
 * provoke every failure path of a real field device without one.
 */
export type ReplyMode =
  /** Correct replies. */
  | 'normal'
  /** A well-framed reply whose PDU is wrong (byte count disagrees with the data): a protocol error. */
  | 'garbage'
  /** Only the first half of the reply is sent: the client waits for the rest until it times out. */
  | 'truncated'
  /** The reply carries another transaction id, so the client cannot match it (and times out). */
  | 'wrong-transaction'
  /** The reply comes from another unit id than asked. */
  | 'wrong-unit';

export interface SimulatorFaults {
  /** Delay every reply by this many ms (0: answer at once). */
  delayMs: number;
  /** Read requests but never answer. */
  neverAnswer: boolean;
  /** Answer, then close the connection (devices that allow one request per connection). */
  closeAfterEachRequest: boolean;
  reply: ReplyMode;
  /**
   * Every `every`-th request is answered `delayMs` late, with every register of the reply set to `value`
   * (a value the tests never store, so a stale reply taken for another request's answer is visible).
   */
  late: LateReplies | undefined;
}

export interface LateReplies {
  readonly every: number;
  readonly delayMs: number;
  readonly value: number;
}

export function healthyFaults(): SimulatorFaults {
  return { delayMs: 0, neverAnswer: false, closeAfterEachRequest: false, reply: 'normal', late: undefined };
}

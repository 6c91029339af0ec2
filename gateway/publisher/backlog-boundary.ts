/**
 * Where each connection splits the queue into backlog (published with `historical`, behind live data)
 * and live data: backlog is only what waited through a restart or an outage (docs/delivery.md).
 *
 * - At start, everything already queued is backlog: a previous process (or this publisher before a
 *   stop) queued it, and it waited through the restart.
 * - The first poll after a start is not backlog: messages queued after the start and before the first
 *   connection are live, as long as that connection is the first attempt and succeeds.
 * - Once a connection is lost or an attempt fails, the broker is unreachable: everything queued until
 *   the next connection is made waited through that outage and is backlog on it.
 *
 * Seqs grow with time, so "queued before moment X" is "seq below the queue's nextSeq at X".
 */
export class BacklogBoundary {
  /** Seqs below this are backlog on the next connection. */
  #below = 0;
  /** A connection was lost, or an attempt failed, since the last connection was made. */
  #down = false;

  /** The publisher starts; `nextSeq` is the queue's next seq now. */
  started(nextSeq: number): void {
    this.#below = nextSeq;
    this.#down = false;
  }

  /** A connection ended or an attempt failed: what is queued from now on waits through an outage. */
  wentDown(): void {
    this.#down = true;
  }

  /** A connection is made; returns the first seq of its live lane (everything below is backlog). */
  connected(nextSeq: number): number {
    if (this.#down) this.#below = nextSeq;
    this.#down = false;
    return this.#below;
  }
}

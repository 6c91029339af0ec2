/**
 * EXPERIMENT (bench only, `--read-ahead`): what the publisher would gain by reading the queue in pages.
 * The publisher refills its in-flight window after every PUBACK with `queue.read(cursor, room)`, and
 * `room` is usually 1, so LevelDB creates one iterator per message (the `_nextv`/`Iterator` hot spot
 * in the profile). This wrapper serves such reads from a page of up to 1000 messages read at once and
 * reads again only when the page cannot fill the request, e.g. at the live tail or after a reconnect
 * rewound the cursor. Not for production as is: a message dropped by the queue bound after it was
 * paged in could still be published once.
 */
import type { MessageQueue, QueuedMessage } from '../../gateway/queue/queue.ts';

const PAGE = 1000;

export function withReadAhead(queue: MessageQueue): MessageQueue {
  let page: QueuedMessage[] = [];
  let pageAfter = Number.POSITIVE_INFINITY;
  let next = 0;
  return {
    open: () => queue.open(),
    append: (messages) => queue.append(messages),
    ack: (seqs) => queue.ack(seqs),
    onAppend: (listener) => queue.onAppend(listener),
    stats: () => queue.stats(),
    close: () => queue.close(),
    async read(afterSeq, limit) {
      if (afterSeq >= pageAfter) {
        while (next < page.length && page[next]!.seq <= afterSeq) next++;
        if (page.length - next >= limit) {
          next += limit;
          return page.slice(next - limit, next);
        }
      }
      page = await queue.read(afterSeq, Math.max(limit, PAGE));
      pageAfter = afterSeq;
      next = Math.min(limit, page.length);
      return page.slice(0, next);
    },
  };
}

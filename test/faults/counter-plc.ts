/**
 * A simulated PLC whose holding registers 0..tags-1 count the reads it has answered: every read of them
 * first advances each counter by one. With the mapping's publish mode "change" the gateway therefore
 * produces exactly one message per tag per answered poll, and the values on each topic are consecutive
 * (1, 2, 3, …). That gives the fault tests a witness of what was read that does not depend on the queue:
 * a value missing on a topic is a read that never reached the broker, even where seqs cannot show it
 * (a kill that loses the tail of the queue would let the next process reuse those seqs).
 *
 * `pause()` freezes the counters, so production stops (nothing changes, nothing is queued) and the
 * current value of each counter names the newest message the subscriber must receive.
 */
import { ModbusTcpSimulator } from '../../simulators/modbus/simulator.ts';

export interface CounterPlc {
  readonly port: number;
  /** Topic-level tag names: counter0, counter1, … */
  readonly tagNames: readonly string[];
  /** The mapping file content for this PLC. */
  readonly mapping: unknown;
  /** Reads answered with advanced counters (= the value every counter has now). */
  readonly reads: number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startCounterPlc(options: { tags: number }): Promise<CounterPlc> {
  const simulator = new ModbusTcpSimulator();
  const unit = simulator.unit(1);
  const tags = options.tags;
  let reads = 0;
  let paused = false;
  const rules = unit.exceptionFor.bind(unit);
  // The unit consults its exception rules once per request, before it reads the registers: the one
  // place to advance the counters so that the reply carries the new values.
  unit.exceptionFor = (area, start, count) => {
    if (!paused && area === 'holding' && start < tags && start + count > 0) {
      reads++;
      unit.holding.fill(reads & 0xffff, 0, tags);
    }
    return rules(area, start, count);
  };
  const { port } = await simulator.listen(0);
  const tagNames = Array.from({ length: tags }, (_, i) => `counter${i}`);
  return {
    port,
    tagNames,
    mapping: {
      publish: { mode: 'change' },
      tags: tagNames.map((name, address) => ({ name, area: 'holding', address, type: 'uint16' })),
    },
    get reads() {
      return reads;
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    close: () => simulator.close(),
  };
}

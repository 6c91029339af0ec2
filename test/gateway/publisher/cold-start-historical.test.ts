/**
 * `historical` at a cold start, through the real process (issue 12, point 10): `fieldbridge run` on a
 * fresh state dir, with a broker whose first connection takes 700 ms to get through (a TCP gate in front
 * of Mosquitto), so the first polls are queued before the first connection is made. They are the first
 * poll after a start, not backlog: an independent subscriber must get every message without
 * `historical`. After a clean stop, what the first process left queued reaches the second as backlog.
 */
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type CounterPlc, startCounterPlc } from '../../faults/counter-plc.ts';
import { type PreparedGateway, prepareGateway } from '../../helpers/gateway-process.ts';
import { type Mosquitto, startMosquitto } from '../../helpers/mosquitto.ts';
import { range, type Subscriber, startSubscriber } from '../../helpers/subscriber.ts';

const GATE_MS = 700;

interface Gate {
  readonly url: string;
  /** When the first connection was let through to the broker (epoch ms), or undefined. */
  readonly openedAt: number | undefined;
  close(): Promise<void>;
}

/** Holds the first connection for `delayMs` before piping it to the broker; later ones pass at once. */
async function slowFirstConnection(targetPort: number, delayMs: number): Promise<Gate> {
  const sockets = new Set<Socket>();
  let openedAt: number | undefined;
  let first = true;
  const server: Server = createServer((downstream) => {
    sockets.add(downstream);
    downstream.on('error', () => downstream.destroy());
    downstream.pause();
    const delay = first ? delayMs : 0;
    first = false;
    setTimeout(() => {
      const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
      sockets.add(upstream);
      upstream.on('error', () => upstream.destroy());
      upstream.once('connect', () => {
        openedAt ??= Date.now();
        downstream.pipe(upstream).pipe(downstream);
        downstream.resume();
      });
      downstream.once('close', () => upstream.destroy());
      upstream.once('close', () => downstream.destroy());
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    get openedAt() {
      return openedAt;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Delivered {
  readonly seq: number;
  readonly boot: string;
  readonly historical: boolean;
  /** The PLC's read counter: which poll the message comes from. */
  readonly value: number | null;
  /** When the gateway read it (epoch ms). */
  readonly tsMs: number;
}

const parsed = (sub: Subscriber): Delivered[] =>
  sub.messages.map((m) => {
    const body = JSON.parse(m.payload.toString()) as Record<string, unknown>;
    return {
      seq: body.seq as number,
      boot: body.boot as string,
      historical: body.historical === true,
      value: body.value as number | null,
      tsMs: body.tsMs as number,
    };
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('fieldbridge run at a cold start', () => {
  it('publishes the polls queued before the first connection as live data, and a restart leftover as historical', async () => {
    // Persistence: the subscriber's session survives the broker's restart below, so nothing is lost there.
    const broker: Mosquitto = await startMosquitto({ persistence: true });
    cleanups.push(() => broker.dispose());
    const sub = await startSubscriber({
      url: broker.url,
      topics: ['fault/plc1/#'],
      clientId: 'cold-start-counter',
    });
    cleanups.push(() => sub.close());
    const gate = await slowFirstConnection(broker.port, GATE_MS);
    cleanups.push(() => gate.close());
    const plc: CounterPlc = await startCounterPlc({ tags: 4 });
    cleanups.push(() => plc.close());
    const gw: PreparedGateway = await prepareGateway({
      mqttUrl: gate.url,
      topicPrefix: 'fault',
      devices: [{ name: 'plc1', port: plc.port }],
      mapping: plc.mapping,
    });
    cleanups.push(() => gw.dispose());

    const first = await gw.start();
    await sub.waitFor((c) => c.unique >= 300);
    const openedAt = gate.openedAt!;
    // At a 10 ms poll interval the gate holds back dozens of polls: the case is really exercised.
    expect(parsed(sub).filter((d) => d.tsMs < openedAt).length).toBeGreaterThan(40);
    expect(
      parsed(sub)
        .filter((d) => d.historical)
        .map((d) => d.seq),
    ).toEqual([]);

    // A clean stop while the broker is unreachable leaves the last polls queued; the next process
    // sends them as historical (they waited through the restart) and its own polls as live.
    await broker.stop();
    const readsAtStop = plc.reads;
    while (plc.reads < readsAtStop + 20) await sleep(10);
    expect((await first.stop(10_000)).code).toBe(0);
    const lastOfFirst = plc.reads;
    await broker.restart();
    const second = await gw.start();
    await sub.waitFor(() => parsed(sub).some((d) => d.value !== null && d.value > lastOfFirst + 20));
    plc.pause();
    const firstBoot = parsed(sub)[0]!.boot;
    const fromSecond = parsed(sub).filter((d) => d.boot !== firstBoot);
    const leftovers = fromSecond.filter((d) => d.value !== null && d.value <= lastOfFirst);
    const own = fromSecond.filter((d) => d.value !== null && d.value > lastOfFirst);
    expect(leftovers.length).toBeGreaterThanOrEqual(80);
    expect(leftovers.filter((d) => !d.historical).map((d) => d.seq)).toEqual([]);
    expect(own.length).toBeGreaterThan(0);
    expect(own.filter((d) => d.historical).map((d) => d.seq)).toEqual([]);

    // And nothing went missing on the way: every seq up to the highest arrived.
    const maxSeq = Math.max(...parsed(sub).map((d) => d.seq));
    await sub.waitFor((c) => c.unique >= maxSeq);
    expect(sub.counts(range(1, maxSeq)).missing).toEqual([]);
    expect((await second.stop()).code).toBe(0);
  }, 60_000);
});

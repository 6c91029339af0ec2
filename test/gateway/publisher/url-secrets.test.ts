/**
 * A password in the broker URL never reaches a log line or the status (issue 12, point 5). Validation
 * refuses such a config; this is the publisher's own defence for embedders that pass one anyway: the
 * "connecting" and "connected" lines, connection errors and `lastError` show the URL with the password
 * masked, against a real Mosquitto and against a port nobody listens on.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPublisher, type Publisher } from '../../../gateway/publisher/mqtt-publisher.ts';
import { freePort, type Mosquitto, startMosquitto, stopAll } from '../../helpers/mosquitto.ts';
import { captureLog, openQueue, until } from './fixtures.ts';

const SECRET = 'canary-Pa55word';
const brokers: Mosquitto[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(() => stopAll(brokers));

async function start(url: string): Promise<{ pub: Publisher; lines: () => string }> {
  const captured = captureLog();
  const queue = await openQueue(captured.log);
  const pub = createPublisher(
    {
      url,
      clientId: 'fb-url-secret',
      gatewayId: 'gw1',
      bootId: 'b',
      reconnect: { initialMs: 20, maxMs: 100 },
    },
    queue,
    captured.log,
  );
  cleanups.push(() => pub.stop({ drainMs: 100 }));
  await pub.start();
  return { pub, lines: () => captured.lines.map((l) => JSON.stringify(l)).join('\n') };
}

describe('a password in the broker URL', () => {
  it('is masked in the connecting and connected lines', async () => {
    const broker = await startMosquitto();
    brokers.push(broker);
    const { pub, lines } = await start(`mqtt://plant:${SECRET}@127.0.0.1:${broker.port}`);
    await until(
      () => pub.metrics().connected,
      5000,
      () => 'the connection',
    );
    expect(lines()).toContain(`"url":"mqtt://plant:***@127.0.0.1:${broker.port}"`);
    expect(lines()).toContain('connected to MQTT broker');
    expect(lines()).not.toContain(SECRET);
  });

  it('is masked in connection errors and lastError', async () => {
    const port = await freePort();
    const { pub, lines } = await start(`mqtt://plant:${SECRET}@127.0.0.1:${port}`);
    await until(
      () => pub.metrics().lastError !== undefined,
      5000,
      () => 'a connection error',
    );
    expect(pub.metrics().lastError).toBe(
      `MQTT broker mqtt://plant:***@127.0.0.1:${port} refused the connection (ECONNREFUSED); is the broker running, and are host and port right?`,
    );
    expect(lines()).toContain(pub.metrics().lastError!);
    expect(`${lines()}\n${JSON.stringify(pub.metrics())}`).not.toContain(SECRET);
  });
});

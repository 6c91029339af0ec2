/**
 * sd_notify through `systemd-notify` against a fake NOTIFY_SOCKET (python3 receiver): the messages arrive,
 * in order, and nothing is attempted without NOTIFY_SOCKET.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../gateway/log.ts';
import { createNotifier, type Notifier } from '../../../gateway/service/sd-notify.ts';
import { startWatchdog, watchdogIntervalMs } from '../../../gateway/service/watchdog.ts';
import { type NotifyReceiver, startNotifyReceiver } from './notify-receiver.ts';

const log = createLogger({ level: 'silent', pretty: false });

describe('createNotifier', () => {
  let receiver: NotifyReceiver;
  beforeAll(async () => {
    receiver = await startNotifyReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('sends READY, STATUS, WATCHDOG and STOPPING in the order asked', async () => {
    const notifier = createNotifier({ env: { ...process.env, NOTIFY_SOCKET: receiver.socketPath }, log });
    expect(notifier.enabled).toBe(true);
    void notifier.notify({ READY: '1', STATUS: 'running: 2 device(s)\nsecond line' });
    void notifier.notify({ WATCHDOG: '1' });
    await notifier.notify({ STOPPING: '1' });
    await receiver.waitFor((m) => m.length >= 3);
    expect(receiver.messages).toEqual([
      'READY=1\nSTATUS=running: 2 device(s) second line',
      'WATCHDOG=1',
      'STOPPING=1',
    ]);
  });

  it('does nothing without NOTIFY_SOCKET', async () => {
    const notifier = createNotifier({ env: {}, log, command: '/nonexistent/systemd-notify' });
    expect(notifier.enabled).toBe(false);
    await expect(notifier.notify({ READY: '1' })).resolves.toBeUndefined();
  });

  it('logs and carries on when the helper is missing', async () => {
    const lines: string[] = [];
    const capture = createLogger({
      level: 'warn',
      destination: { write: (line: string) => void lines.push(line) },
    });
    const notifier = createNotifier({
      env: { NOTIFY_SOCKET: '/run/nowhere' },
      log: capture,
      command: '/nonexistent/systemd-notify',
    });
    await notifier.notify({ READY: '1' });
    expect(lines.join('')).toContain('cannot run /nonexistent/systemd-notify to notify systemd (READY=1)');
  });
});

describe('watchdog', () => {
  it('pings at half of WATCHDOG_USEC, only for the process it is meant for', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' })).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({})).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' })).toBeUndefined();
  });

  it('pings while healthy, withholds pings while unhealthy, stops when told', async () => {
    vi.useFakeTimers();
    try {
      const sent: Record<string, string>[] = [];
      const notifier: Notifier = {
        enabled: true,
        notify: async (fields) => void sent.push(fields),
        flush: async () => {},
      };
      let healthy = true;
      const stop = startWatchdog({
        notifier,
        log,
        env: { WATCHDOG_USEC: '2000000' },
        isHealthy: () => healthy,
      });
      await vi.advanceTimersByTimeAsync(3000);
      expect(sent).toEqual([{ WATCHDOG: '1' }, { WATCHDOG: '1' }, { WATCHDOG: '1' }]);
      healthy = false;
      await vi.advanceTimersByTimeAsync(3000);
      expect(sent).toHaveLength(3);
      healthy = true;
      stop();
      await vi.advanceTimersByTimeAsync(3000);
      expect(sent).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends real WATCHDOG=1 datagrams', async () => {
    const receiver = await startNotifyReceiver();
    try {
      const env = { ...process.env, NOTIFY_SOCKET: receiver.socketPath, WATCHDOG_USEC: '100000' };
      const stop = startWatchdog({ notifier: createNotifier({ env, log }), log, env });
      await receiver.waitFor((m) => m.filter((x) => x === 'WATCHDOG=1').length >= 2);
      stop();
      expect(new Set(receiver.messages)).toEqual(new Set(['WATCHDOG=1']));
    } finally {
      await receiver.close();
    }
  });
});

/**
 * sd_notify(3) for `Type=notify` units: READY=1, WATCHDOG=1, STOPPING=1 and STATUS= lines, sent only when
 * systemd set NOTIFY_SOCKET (issue 6).
 *
 * Why `systemd-notify` child processes: NOTIFY_SOCKET is a Unix *datagram* socket and Node's dgram module
 * only speaks UDP. The npm packages that fill the gap (sd-notify, unix-dgram) are native addons built
 * against libsystemd/nan: a compiler and headers on every edge PC and a rebuild per Node ABI. The
 * `systemd-notify` binary ships with systemd itself. Its known race: systemd looks up the sender's unit by
 * PID when the datagram arrives, and a short-lived helper may already be gone, so the message is dropped.
 * Since systemd 246 `systemd-notify` (without --no-block) sends BARRIER=1 after the message and waits until
 * the manager has processed both, so it is alive while systemd looks it up. The unit needs
 * NotifyAccess=all because the sender is not the main PID. Notifications are sent one at a time, in order.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log.ts';

export interface Notifier {
  /** True when NOTIFY_SOCKET is set: otherwise every call is a no-op. */
  readonly enabled: boolean;
  /** Sends the assignments (e.g. {READY: '1', STATUS: 'running'}); resolves once sent (never rejects). */
  notify(fields: Readonly<Record<string, string>>): Promise<void>;
  /** Resolves when every notification queued so far has been sent. */
  flush(): Promise<void>;
}

export interface NotifierOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly log: Logger;
  /** The helper binary (default "systemd-notify" from PATH). */
  readonly command?: string;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const env = options.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  const log = options.log.child({ component: 'sd-notify' });
  const command = options.command ?? 'systemd-notify';
  if (socket === undefined || socket === '') {
    return { enabled: false, notify: async () => {}, flush: async () => {} };
  }
  let chain: Promise<void> = Promise.resolve();
  return {
    enabled: true,
    notify(fields) {
      const args = Object.entries(fields).map(([key, value]) => `${key}=${oneLine(value)}`);
      chain = chain.then(() => send(command, args, env, log));
      return chain;
    },
    flush: () => chain,
  };
}

/** STATUS= is one line of the protocol: a newline would start a new (bogus) assignment. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

function send(command: string, args: string[], env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  return new Promise((resolveSent) => {
    let stderr = '';
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => {
      log.warn({ err: error }, 'cannot run %s to notify systemd (%s)', command, args.join(' '));
      resolveSent();
    });
    child.on('close', (code) => {
      if (code !== 0) {
        log.warn('%s %s exited with %s: %s', command, args.join(' '), String(code), stderr.trim());
      }
      resolveSent();
    });
  });
}

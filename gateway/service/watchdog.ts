/**
 * WATCHDOG=1 pings at half of WatchdogSec (systemd passes it as WATCHDOG_USEC), so one late ping is not
 * yet fatal. A ping needs a timer to fire and a child process to run, so a blocked event loop stops them
 * and systemd restarts the service; `isHealthy` lets the caller withhold pings for other reasons.
 */
import type { Logger } from '../log.ts';
import type { Notifier } from './sd-notify.ts';

export interface WatchdogOptions {
  readonly notifier: Notifier;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Checked before each ping; default always healthy. */
  readonly isHealthy?: () => boolean;
}

/** The ping interval in ms, or undefined when systemd asked for no watchdog (or for another process). */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  // WATCHDOG_PID names the process the watchdog is meant for; a child that inherited the env is not it.
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 1000 / 2));
}

/** Starts pinging; returns a function that stops it. */
export function startWatchdog(options: WatchdogOptions): () => void {
  const env = options.env ?? process.env;
  const interval = watchdogIntervalMs(env);
  if (!options.notifier.enabled || interval === undefined) return () => {};
  const isHealthy = options.isHealthy ?? (() => true);
  let pending = false;
  const timer = setInterval(() => {
    // A ping still queued means systemd-notify hangs: do not pile up processes behind it.
    if (pending) return;
    if (!isHealthy()) {
      options.log.warn('withholding the systemd watchdog ping: gateway unhealthy');
      return;
    }
    pending = true;
    void options.notifier.notify({ WATCHDOG: '1' }).then(() => {
      pending = false;
    });
  }, interval);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * `fieldbridge run` as a service: the gateway plus its HTTP server, systemd notifications, the watchdog,
 * live reload on SIGHUP and a deadline-bound shutdown on SIGTERM/SIGINT (issue 6). Each is a component
 * (core/lifecycle.ts), started in the order below and stopped in reverse, every stop guarded:
 *   sd_notify flush → gateway → metrics → HTTP → READY=1 → watchdog → reload
 * so a stop runs: reload off → watchdog off → STOPPING=1 → HTTP closed → metrics off → gateway stopped
 * (devices → publisher → queue) → every notification sent.
 */
import type { Component } from '../../core/component.ts';
import { Lifecycle } from '../../core/lifecycle.ts';
import type { LoadedConfig } from '../config/load.ts';
import { Gateway } from '../gateway.ts';
import { GatewayMetrics } from '../http/metrics.ts';
import { PollHealth } from '../http/poll-health.ts';
import type { StatusServer } from '../http/server.ts';
import { startHttpFromConfig } from '../http/start.ts';
import type { Logger } from '../log.ts';
import { createReloader, type Reloader } from './reload.ts';
import { createNotifier, type Notifier } from './sd-notify.ts';
import { exitSoon, stopWithDeadline } from './shutdown.ts';
import { startWatchdog } from './watchdog.ts';

export interface ServiceOptions {
  readonly configPath: string;
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly version: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningService {
  readonly gateway: Gateway;
  readonly http: StatusServer | undefined;
  /** Re-validates and applies the config file (what SIGHUP does). */
  reload: ReturnType<typeof createReloader>['reload'];
  /** STOPPING=1, then HTTP and gateway down. */
  stop(): Promise<void>;
}

/** Starts everything and sends READY=1; throws (after stopping what started) when the gateway cannot start. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { log } = options;
  const env = options.env ?? process.env;
  const notifier = createNotifier({ env, log });
  const health = new PollHealth();
  // Polls start only in gateway.start(), after `metrics` exists: the hook may refer to it.
  const gateway = new Gateway({
    loaded: options.loaded,
    log,
    env,
    onPoll: (device, durationMs, samples) => {
      metrics.observePoll(device, durationMs, samples);
      health.record(device, samples);
    },
  });
  const metrics = new GatewayMetrics({ version: options.version, status: () => gateway.status() });
  let http: StatusServer | undefined;
  let reloader: Reloader | undefined;
  const httpComponent: Component = {
    name: 'http',
    start: async () => {
      const deps = { status: () => gateway.status(), metrics, health, version: options.version, log };
      http = await startHttpFromConfig(options.loaded.config.http, deps, env);
    },
    stop: async () => http?.close(),
  };
  const reloadComponent: Component = {
    name: 'reload',
    start: async () => {
      const onStatus = (text: string) => void notifier.notify({ STATUS: text });
      reloader = createReloader({ configPath: options.configPath, gateway, log, env, onStatus });
    },
    stop: async () => {},
  };
  const parts = new Lifecycle(
    [
      { name: 'sd_notify', start: async () => {}, stop: () => notifier.flush() },
      gateway,
      { name: 'metrics', start: async () => metrics.start(), stop: async () => metrics.stop() },
      httpComponent,
      readyComponent(notifier, () => gateway.status().devices.length),
      watchdogComponent(notifier, log, env),
      reloadComponent,
    ],
    (part, error) => log.error({ err: error }, 'failed to stop %s', part),
  );
  await parts.start();
  return {
    gateway,
    http,
    reload: () => reloader!.reload(),
    stop: () => parts.stop(),
  };
}

/** READY=1 once everything before it runs; STOPPING=1 first thing on the way down. */
function readyComponent(notifier: Notifier, devices: () => number): Component {
  return {
    name: 'ready',
    start: () => notifier.notify({ READY: '1', STATUS: `running: ${devices()} device(s)` }),
    stop: async () => void notifier.notify({ STOPPING: '1', STATUS: 'stopping' }),
  };
}

function watchdogComponent(notifier: Notifier, log: Logger, env: NodeJS.ProcessEnv): Component {
  let stopWatchdog = () => {};
  return {
    name: 'watchdog',
    start: async () => {
      stopWatchdog = startWatchdog({ notifier, log, env });
    },
    stop: async () => stopWatchdog(),
  };
}

/** Runs until SIGTERM/SIGINT; SIGHUP reloads. Resolves with the exit code. */
export function serveUntilSignal(service: RunningService, log: Logger): Promise<number> {
  return new Promise((resolveExit) => {
    let stopping = false;
    const onHangup = () => {
      if (!stopping) void service.reload();
    };
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn('%s again: exiting now', signal);
        process.exit(1);
      }
      stopping = true;
      log.info('%s received: shutting down', signal);
      process.off('SIGHUP', onHangup);
      void stopWithDeadline({ stop: () => service.stop(), log }).then((code) => {
        exitSoon(code);
        resolveExit(code);
      });
    };
    process.on('SIGHUP', onHangup);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    // A bug must not silently stop data collection: log it loudly. Unhandled rejections are logged and the
    // process keeps running (every component handles its own errors; this is a last resort). An uncaught
    // exception leaves the process in an unknown state: exit and let systemd restart it (the queue is on disk).
    process.on('unhandledRejection', (reason) =>
      log.error({ err: reason }, 'unhandled promise rejection (bug)'),
    );
    process.on('uncaughtException', (error) => {
      log.fatal({ err: error }, 'uncaught exception (bug): exiting for a clean restart');
      process.exit(70);
    });
  });
}

/**
 * `fieldbridge run <config>`: the service's main command. Exits 1 on an invalid config (printing every
 * problem), otherwise runs until SIGTERM/SIGINT and shuts down gracefully.
 */
import type { Output } from '../cli.ts';
import { loadConfig } from '../config/load.ts';
import { formatProblems } from '../config/problems.ts';
import { Gateway } from '../gateway.ts';
import { createLogger, type Logger, type LogOptions } from '../log.ts';

export async function runGateway(configPath: string, logOptions: LogOptions, out: Output): Promise<number> {
  const result = await loadConfig(configPath);
  if (!result.ok) {
    for (const line of formatProblems(result.problems)) out.error(line);
    out.error(`fieldbridge: not starting: ${configPath} has ${result.problems.length} problem(s)`);
    return 1;
  }
  const logConfig = result.config.config.log;
  const log = createLogger({
    level: logOptions.level ?? logConfig?.level,
    pretty: logOptions.pretty ?? logConfig?.pretty,
  });
  for (const warning of result.warnings)
    log.warn({ file: warning.file, at: warning.pointer }, warning.message);

  let gateway: Gateway;
  try {
    gateway = new Gateway({ loaded: result.config, log });
    await gateway.start();
  } catch (error) {
    log.fatal({ err: error }, 'gateway failed to start: %s', (error as Error).message);
    return 1;
  }
  return waitForShutdown(gateway, log);
}

/** Resolves with the exit code once a signal has stopped the gateway. */
export function waitForShutdown(gateway: { stop(): Promise<void> }, log: Logger): Promise<number> {
  return new Promise((resolveExit) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn('%s again: exiting now', signal);
        process.exit(1);
      }
      stopping = true;
      log.info('%s received: shutting down', signal);
      gateway.stop().then(
        () => resolveExit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          resolveExit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
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

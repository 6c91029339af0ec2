/**
 * `fieldbridge run <config>`: the service's main command. Exits 1 on an invalid config (printing every
 * problem), otherwise runs until SIGTERM/SIGINT and shuts down gracefully; SIGHUP reloads the config.
 */
import { flushCompileCache } from 'node:module';
import type { Output } from '../cli.ts';
import { loadConfig } from '../config/load.ts';
import { formatProblems } from '../config/problems.ts';
import { createLogger, type LogOptions } from '../log.ts';
import { type RunningService, serveUntilSignal, startService } from '../service/service.ts';

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

  // The service layer (gateway/service/service.ts) adds HTTP, sd_notify, the watchdog and SIGHUP reload.
  // A stop asked for while starting (systemctl stop right after start) is kept and carried out once the
  // start is done: without a handler Node's default would end the process without its clean stop.
  let stopDuringStart: NodeJS.Signals | undefined;
  const onEarlyStop = (signal: NodeJS.Signals) => {
    stopDuringStart ??= signal;
    log.info('%s received while starting: stopping once started', signal);
  };
  process.on('SIGTERM', onEarlyStop);
  process.on('SIGINT', onEarlyStop);
  let service: RunningService;
  try {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    service = await startService({ configPath, loaded: result.config, log, version });
  } catch (error) {
    log.fatal({ err: error }, 'gateway failed to start: %s', (error as Error).message);
    return 1;
  } finally {
    process.off('SIGTERM', onEarlyStop);
    process.off('SIGINT', onEarlyStop);
  }
  // Every module of a start is loaded now: write the compile cache (bin/fieldbridge.mjs) at once rather
  // than at exit, which a killed or crashed gateway never reaches. A no-op when the cache is off.
  flushCompileCache();
  const served = serveUntilSignal(service, log);
  if (stopDuringStart !== undefined) process.kill(process.pid, stopDuringStart);
  return served;
}

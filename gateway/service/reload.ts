/**
 * Live reload (SIGHUP, `systemctl reload fieldbridge`): re-reads and re-validates the config and every
 * mapping. Invalid: the gateway keeps running the last good config and every problem is logged. Valid:
 * Gateway.reload restarts only the devices whose config or mapping changed. Reloads never overlap: a
 * SIGHUP during a reload runs one more reload after it (the file may have changed again).
 */

import type { LoadedConfig } from '../config/load.ts';
import { loadConfig } from '../config/load.ts';
import { formatProblems } from '../config/problems.ts';
import type { ReloadSummary } from '../gateway.ts';
import type { Logger } from '../log.ts';

export interface Reloadable {
  reload(loaded: LoadedConfig): Promise<ReloadSummary>;
}

export type ReloadOutcome =
  | { readonly ok: true; readonly summary: ReloadSummary }
  | { readonly ok: false; readonly problems: readonly string[] };

export interface ReloaderOptions {
  readonly configPath: string;
  readonly gateway: Reloadable;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Told before and after each reload (sd_notify STATUS). */
  readonly onStatus?: (text: string) => void;
}

export interface Reloader {
  /** Runs a reload (or queues one behind the running one); resolves with its outcome. */
  reload(): Promise<ReloadOutcome>;
}

export function createReloader(options: ReloaderOptions): Reloader {
  const { configPath, gateway, log } = options;
  let running: Promise<ReloadOutcome> | undefined;
  let queued: Promise<ReloadOutcome> | undefined;

  const once = async (): Promise<ReloadOutcome> => {
    options.onStatus?.(`reloading ${configPath}`);
    log.info('reloading %s', configPath);
    try {
      const result = await loadConfig(configPath, { env: options.env });
      if (!result.ok) {
        const problems = formatProblems(result.problems);
        for (const line of problems) log.error(line);
        log.error(
          'reload refused: %s has %d problem(s); still running the last good config',
          configPath,
          result.problems.length,
        );
        options.onStatus?.(`running (reload refused: ${result.problems.length} problem(s) in the config)`);
        return { ok: false, problems };
      }
      for (const warning of result.warnings)
        log.warn({ file: warning.file, at: warning.pointer }, warning.message);
      const summary = await gateway.reload(result.config);
      options.onStatus?.(
        `running (reloaded: ${summary.restarted.length} restarted, ${summary.added.length} added, ${summary.removed.length} removed)`,
      );
      return { ok: true, summary };
    } catch (error) {
      log.error({ err: error }, 'reload failed: %s', (error as Error).message);
      options.onStatus?.('running (reload failed, see the log)');
      return { ok: false, problems: [(error as Error).message] };
    }
  };

  return {
    reload() {
      if (running === undefined) {
        running = once().finally(() => {
          running = undefined;
        });
        return running;
      }
      queued ??= running.then(() => {
        queued = undefined;
        return this.reload();
      });
      return queued;
    },
  };
}

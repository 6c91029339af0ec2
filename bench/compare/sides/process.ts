/** A side's process as the harness sees it: spawned with Node 24, output kept in a log file, stopped by pid. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface SideProcess {
  readonly pid: number;
  /** Epoch ms just before spawn (S6 measures from here). */
  readonly spawnedAt: number;
  readonly logFile: string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnSide(args: readonly string[], options: { cwd: string; logFile: string }): SideProcess {
  const log = createWriteStream(options.logFile);
  const spawnedAt = Date.now();
  // process.execPath is the Node 24 this harness runs on (from node_modules), never the system node.
  const child: ChildProcess = spawn(process.execPath, [...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let done = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      done = true;
      resolve();
    }),
  );
  if (child.pid === undefined) throw new Error(`could not spawn ${process.execPath} ${args.join(' ')}`);
  return {
    pid: child.pid,
    spawnedAt,
    logFile: options.logFile,
    exited: () => done,
    async stop(graceMs = 10_000) {
      if (!done) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}

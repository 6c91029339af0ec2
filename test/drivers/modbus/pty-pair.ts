/**
 * A virtual null-modem cable for RTU tests: `socat -d -d pty,raw,echo=0 pty,raw,echo=0` with stable
 * link paths, so a test can "unplug" the line (stop socat: the ports go away) and "plug it back in"
 * (start socat again on the same paths). socat is required: without it these tests fail with a clear
 * message rather than being skipped (.ci/run installs it).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** The gateway's end. */
  readonly gateway: string;
  /** The simulated slaves' end. */
  readonly devices: string;
  /** Removes both ends (an unplugged adapter). */
  unplug(): Promise<void>;
  /** Creates both ends again on the same paths. */
  plugIn(): Promise<void>;
  close(): Promise<void>;
}

export function requireSocat(): void {
  const probe = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'socat is not installed: the Modbus RTU tests need it for a virtual serial line (apt-get install socat; .ci/run installs it)',
    );
  }
}

export async function ptyPair(): Promise<PtyPair> {
  requireSocat();
  const dir = await mkdtemp(join(tmpdir(), 'fieldbridge-pty-'));
  const gateway = join(dir, 'gateway');
  const devices = join(dir, 'devices');
  let child: ChildProcess | undefined;

  const plugIn = async () => {
    const started = spawn(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${gateway}`, `pty,raw,echo=0,link=${devices}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child = started;
    const deadline = Date.now() + 5000;
    while (!(existsSync(gateway) && existsSync(devices))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        throw new Error(`socat did not create the pty pair: ${stderr.trim() || `exit ${started.exitCode}`}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const unplug = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };

  await plugIn();
  return {
    gateway,
    devices,
    unplug,
    plugIn,
    close: async () => {
      await unplug();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A throwaway root to install the .deb into for real: an overlay whose lower layer is this machine's
 * own / (read-only) and whose upper layer is a temp dir, mounted inside a private mount namespace held
 * by one process. Commands enter that namespace (nsenter) and chroot into the overlay, so dpkg, adduser,
 * deb-systemd-helper, dpkg-statoverride and the maintainer scripts run exactly as on this Debian system
 * while every change lands in the temp dir. Nothing reaches the host: the mounts exist only in the
 * namespace, and dispose() ends it and deletes the upper layer.
 *
 * /run is an empty tmpfs inside, so the maintainer scripts never see a running systemd (they would call
 * systemctl, which would talk to the host's) — the same state as a container or an image build.
 *
 *   const root = await createThrowawayRoot();
 *   await root.run(['dpkg', '-i', deb]);            // paths outside the root's changes are the host's
 *   const gateway = root.spawn(['/usr/bin/fieldbridge', 'run', '/etc/fieldbridge/gateway.json']);
 *   await root.dispose();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RootCommandOptions {
  /** Written to the command's stdin (otherwise stdin is empty). */
  readonly input?: string;
  readonly timeoutMs?: number;
}

export interface ThrowawayRoot {
  /** Runs argv inside the root as root with a minimal environment; never rejects on a non-zero exit. */
  run(argv: readonly string[], options?: RootCommandOptions): Promise<RunResult>;
  /** Starts a long-running command inside the root; its pid is the command's own (signals reach it). */
  spawn(argv: readonly string[]): ChildProcess;
  /** Runs `script` with /bin/sh -c inside the root (for pipes and tests); args are $1, $2, … */
  sh(script: string, args?: readonly string[], options?: RootCommandOptions): Promise<RunResult>;
  /**
   * Where `target` is on the host, in the upper layer: complete only for what was created inside the
   * root (e.g. /var/lib/fieldbridge, made by postinst), since unchanged files stay in the lower layer.
   */
  createdPath(target: string): string;
  dispose(): Promise<void>;
}

/** What a maintainer script gets from dpkg run by hand: no test runner variables leak in. */
const ROOT_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
/** The namespace holder ends by itself after this, should the test process die without dispose(). */
const HOLDER_LIFETIME_S = 1800;

export async function createThrowawayRoot(): Promise<ThrowawayRoot> {
  const base = await mkdtemp(join(tmpdir(), 'fb-root-'));
  const [upper, work, merged] = ['upper', 'work', 'merged'].map((name) => join(base, name)) as [
    string,
    string,
    string,
  ];
  await Promise.all([upper, work, merged].map((dir) => mkdir(dir)));
  const setup = [
    'set -e',
    `mount -t overlay overlay -o lowerdir=/,upperdir=${upper},workdir=${work} ${merged}`,
    `mount --rbind /dev ${merged}/dev`,
    `mount -t proc proc ${merged}/proc`,
    `mount -t tmpfs -o mode=0755 tmpfs ${merged}/run`,
    'echo ready',
    `exec sleep ${HOLDER_LIFETIME_S}`,
  ].join('\n');
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', setup], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForReady(holder);
  const enter = (argv: readonly string[]) => [
    '--mount',
    `--target=${holder.pid}`,
    '--',
    'chroot',
    merged,
    'env',
    '-i',
    ...Object.entries(ROOT_ENV).map(([k, v]) => `${k}=${v}`),
    ...argv,
  ];

  const run = (argv: readonly string[], options: RootCommandOptions = {}) =>
    runCommand('nsenter', enter(argv), options);
  return {
    run,
    sh: (script, args = [], options = {}) => run(['/bin/sh', '-c', script, 'sh', ...args], options),
    spawn: (argv) => spawn('nsenter', enter(argv), { stdio: ['ignore', 'pipe', 'pipe'] }),
    createdPath: (target) => join(upper, target),
    async dispose() {
      holder.kill('SIGKILL');
      if (holder.exitCode === null) await new Promise((resolve) => holder.once('close', resolve));
      await rm(base, { recursive: true, force: true });
    },
  };
}

function waitForReady(holder: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    holder.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    holder.stdout?.once('data', () => resolve());
    holder.once('close', (code) =>
      reject(new Error(`throwaway root: mount failed (exit ${code}): ${stderr}`)),
    );
  });
}

function runCommand(
  command: string,
  args: readonly string[],
  options: RootCommandOptions,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(options.input ?? '');
  });
}

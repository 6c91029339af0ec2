/**
 * Child processes for the build (npm, tar, dpkg-deb): arguments as an array (no shell), stdout and
 * stderr collected, and a failure that names the command and shows what it printed.
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => reject(new Error(`${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
      if (code === 0) return resolve(result);
      const output = `${result.stderr}${result.stdout}`.trim().split('\n').slice(-30).join('\n');
      reject(
        new Error(
          `${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output || '(no output)'}`,
        ),
      );
    });
  });
}

/**
 * The environment for npm and other Node tools the build starts: this Node (the project's Node 24) first
 * on the PATH, so `npm` runs on it rather than on whatever `node` the machine has.
 */
export function envWithThisNode(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...extra };
}

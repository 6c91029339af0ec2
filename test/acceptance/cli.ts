/**
 * `node bin/fieldbridge.mjs <args>` as a child process, as a user runs it: exit code, stdout and stderr
 * as text. `process.execPath` is the Node 24 vitest runs on (the one from node_modules).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/fieldbridge.mjs', import.meta.url));
const CLI_TIMEOUT_MS = 20_000;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? CLI_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`fieldbridge ${args.join(' ')}: no exit within ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The rows of a table printed by the CLI (first-event.ts `table`: cells padded to the column width),
 * cut at the columns' positions in the header line, so empty cells stay in place. `columns` are the
 * header's names, in order; the first starts the header line.
 */
export function tableRows(text: string, columns: readonly string[]): Record<string, string>[] {
  const lines = text.split('\n');
  const first = columns[0] ?? '';
  const headerAt = lines.findIndex((l) => l.startsWith(first) && columns.every((c) => l.includes(c)));
  if (headerAt < 0) throw new Error(`no table with columns ${columns.join(', ')} in:\n${text}`);
  const header = lines[headerAt] ?? '';
  const starts = columns.map((c) => header.indexOf(c));
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    if (line.trim() === '') break;
    const row: Record<string, string> = {};
    columns.forEach((column, i) => {
      row[column] = line.slice(starts[i], starts[i + 1]).trim();
    });
    rows.push(row);
  }
  return rows;
}

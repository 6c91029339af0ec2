/**
 * Who holds the queue. LevelDB's LOCK file is the real mutual exclusion (an fcntl lock the kernel drops
 * when the holder dies, so a SIGKILLed gateway never leaves a stale lock). It says nothing about *who*
 * holds it, though, so the holder writes OWNER next to it, and a second process turns LevelDB's bare
 * "lock ... already held by process" into a message naming the PID and command line to look for.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QueueError } from './errors.ts';

const OWNER_FILE = 'OWNER';

interface Owner {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

export async function writeOwner(dir: string): Promise<void> {
  const owner: Owner = {
    pid: process.pid,
    command: [process.argv0, ...process.argv.slice(1)].join(' '),
    since: new Date().toISOString(),
  };
  await writeFile(join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`);
}

export async function removeOwner(dir: string): Promise<void> {
  await rm(join(dir, OWNER_FILE), { force: true });
}

/** The error for a queue whose LevelDB lock is held; `cause` is LevelDB's own error. */
export async function queueInUseError(dir: string, cause: unknown): Promise<QueueError> {
  let holder: string;
  try {
    const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Partial<Owner>;
    holder =
      owner.pid === process.pid
        ? `this process (PID ${owner.pid}): another queue object in the same process has it open`
        : `PID ${owner.pid} (${owner.command})`;
  } catch (err) {
    // The holder may have just opened LevelDB and not yet written OWNER, or be an older version.
    holder = `another process (its ${OWNER_FILE} file is unreadable: ${(err as Error).message})`;
  }
  return new QueueError('QUEUE_LOCKED', `queue ${dir} is already in use by ${holder}`, { cause });
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sleepBeforeRetry } from '../../../drivers/opcua/retry-sleep.ts';

const TEN_MINUTES = 600_000;

describe('sleepBeforeRetry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-retry-sleep-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends when a certificate lands in the watched folder (the operator trusted it), not after the delay', async () => {
    const sleep = sleepBeforeRetry(TEN_MINUTES, dir);
    let done = false;
    void sleep.done.then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toBe(false);
    await writeFile(join(dir, 'server.pem'), 'x');
    await sleep.done;
  });

  it('ends on wake(), and after the delay when the folder cannot be watched', async () => {
    const woken = sleepBeforeRetry(TEN_MINUTES, dir);
    woken.wake();
    await woken.done;
    await sleepBeforeRetry(10, join(dir, 'no-such-folder')).done;
    await sleepBeforeRetry(10).done;
  });
});

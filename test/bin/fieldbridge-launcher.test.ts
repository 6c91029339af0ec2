/**
 * bin/fieldbridge.mjs, the launcher every user and the systemd unit run: it turns on Node's compile cache
 * (cold start, issue 7 S6) in $NODE_COMPILE_CACHE, else in the unit's $CACHE_DIRECTORY, and a cache that
 * cannot be written never stops the command. Run as a real process, as users run it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL('../../bin/fieldbridge.mjs', import.meta.url));

/** The launcher's environment without any compile-cache variable of the test runner's own. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  delete base.NODE_COMPILE_CACHE;
  delete base.NODE_DISABLE_COMPILE_CACHE;
  delete base.CACHE_DIRECTORY;
  return { ...base, ...extra };
}

async function version(extra: Record<string, string>): Promise<string> {
  // process.execPath: the Node 24 vitest runs on (node_modules), never the machine's node.
  const { stdout } = await run(process.execPath, [LAUNCHER, 'version'], { env: env(extra) });
  return stdout;
}

/** Every file below dir (empty when dir does not exist). */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('bin/fieldbridge.mjs compile cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-launcher-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fills $NODE_COMPILE_CACHE with the modules it loads, and runs again from it', async () => {
    expect(await version({ NODE_COMPILE_CACHE: dir })).toMatch(/^fieldbridge \d+\.\d+\.\d+ \(Node\.js v24\./);
    const files = await filesIn(dir);
    // The launcher, the CLI (TypeScript) and package.json at least: more than one module.
    expect(files.length).toBeGreaterThan(1);
    expect(await version({ NODE_COMPILE_CACHE: dir })).toMatch(/^fieldbridge /);
    expect(await filesIn(dir)).toEqual(expect.arrayContaining(files));
  });

  it("uses the systemd unit's $CACHE_DIRECTORY when $NODE_COMPILE_CACHE is not set", async () => {
    await version({ CACHE_DIRECTORY: dir });
    expect((await filesIn(join(dir, 'node-compile-cache'))).length).toBeGreaterThan(1);
  });

  it("uses Node's default (<tmpdir>/node-compile-cache) when neither variable is set", async () => {
    await version({ TMPDIR: dir });
    expect((await filesIn(join(dir, 'node-compile-cache'))).length).toBeGreaterThan(1);
  });

  it('still runs when the cache directory cannot be created', async () => {
    const notADirectory = join(dir, 'file');
    await writeFile(notADirectory, '');
    expect(await version({ CACHE_DIRECTORY: join(notADirectory, 'cache') })).toMatch(/^fieldbridge /);
  });

  it('writes no cache with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    await version({ CACHE_DIRECTORY: dir, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(await filesIn(dir)).toEqual([]);
  });
});

/**
 * bin/postinstall.mjs, which `npm ci` runs last: .npmrc hides npm's engine warnings (they compare every
 * package with the machine's node, which fieldbridge does not run on), so this script must report every
 * package that the Node in node_modules, or the npm that installed, does not satisfy. Run as npm runs it:
 * a child process, here against a project made up in a temp dir, and against this repository's own
 * node_modules (the lockfile CI installs).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../bin/postinstall.mjs', import.meta.url));
const AGENT = 'npm/11.4.0 node/v20.20.2 linux x64 workspaces/false';

async function postinstall(script: string, agent = AGENT) {
  return run(process.execPath, [script], { env: { ...process.env, npm_config_user_agent: agent } });
}

describe('bin/postinstall.mjs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-postinstall-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A project in `dir` with Node 24.21.0 in node_modules and these installed packages' engines. */
  async function project(engines: Record<string, unknown>): Promise<string> {
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'node_modules', 'node'), { recursive: true });
    await copyFile(SCRIPT, join(dir, 'bin', 'postinstall.mjs'));
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ version: '0.1.0', engines: { node: '>=24' } }),
    );
    await writeFile(
      join(dir, 'node_modules', 'node', 'package.json'),
      JSON.stringify({ version: '24.21.0' }),
    );
    const packages = Object.fromEntries(
      Object.entries(engines).map(([name, e]) => [`node_modules/${name}`, { version: '1.0.0', engines: e }]),
    );
    await writeFile(join(dir, 'node_modules', '.package-lock.json'), JSON.stringify({ packages }));
    return join(dir, 'bin', 'postinstall.mjs');
  }

  it("says which Node runs fieldbridge, and that this repository's packages all support it", async () => {
    const { stdout, stderr } = await postinstall(SCRIPT);
    expect(stderr).toBe('');
    expect(stdout).toMatch(
      /^fieldbridge runs on Node 24\.\d+\.\d+ from node_modules \(npx fieldbridge …, npm run …\); this machine's own node \(v20\.20\.2\) only runs npm\. All \d+ packages support Node 24\.\d+\.\d+\.\n$/,
    );
  });

  it('reports each package whose Node or npm requirement is not met, and only those', async () => {
    const script = await project({
      'caret-ok': { node: '^22.12.0 || ^24.0.0 || >=26.0.0' },
      'spaced-ok': { node: '>= 10.13.0' },
      'x-range-ok': { node: '24.x' },
      'and-ok': { node: '>=0.10 <25' },
      'hyphen-ok': { node: '18 - 24' },
      'old-array-ok': ['node >= 6.0'],
      'star-ok': { node: '*' },
      'npm-ok': { npm: '>=5.0.0' },
      'too-new': { node: '>=24.22.0' },
      'tilde-old': { node: '~24.20.0' },
      'caret-old': { node: '^20.19.0 || ^22.13.0' },
      'hyphen-old': { node: '1 - 23' },
      'npm-too-new': { npm: '>=99' },
      unreadable: { node: 'lts/iron' },
    });
    const { stdout, stderr } = await postinstall(script);
    expect(stdout).toBe(
      "fieldbridge runs on Node 24.21.0 from node_modules (npx fieldbridge …, npm run …); this machine's own node (v20.20.2) only runs npm.\n",
    );
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      'fieldbridge: warning: too-new@1.0.0 requires Node >=24.22.0, but the Node in node_modules is 24.21.0',
      'fieldbridge: warning: tilde-old@1.0.0 requires Node ~24.20.0, but the Node in node_modules is 24.21.0',
      'fieldbridge: warning: caret-old@1.0.0 requires Node ^20.19.0 || ^22.13.0, but the Node in node_modules is 24.21.0',
      'fieldbridge: warning: hyphen-old@1.0.0 requires Node 1 - 23, but the Node in node_modules is 24.21.0',
      'fieldbridge: warning: npm-too-new@1.0.0 requires npm >=99, but the npm that installed is 11.4.0',
      'fieldbridge: warning: unreadable@1.0.0: cannot read its Node requirement "lts/iron"; check it by hand',
    ]);
  });

  it('says so when Node 24 was not installed into node_modules, and never fails the install', async () => {
    const script = await project({});
    await rm(join(dir, 'node_modules', 'node'), { recursive: true });
    const { stdout, stderr } = await postinstall(script);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'fieldbridge: warning: node_modules/node (the Node 24 fieldbridge runs on) is not installed: run `npm ci` without --omit=prod\n',
    );
  });
});

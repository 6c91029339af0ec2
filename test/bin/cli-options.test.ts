/**
 * The global options of `fieldbridge`, as a user types them: --version / -v print the version (Node's
 * parser used to reject them), and an unknown option is one line with a did-you-mean instead of Node's
 * parser text. Run as a child process (node bin/fieldbridge.mjs …), as users run it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../../bin/fieldbridge.mjs', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function fieldbridge(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    // process.execPath: the Node 24 vitest runs on (node_modules), as `npx fieldbridge` would use.
    execFile(process.execPath, [LAUNCHER, ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code as number | null), stdout, stderr });
    });
  });
}

describe('fieldbridge global options', () => {
  it.each([['--version'], ['-v'], ['version'], ['run', '--version']])(
    '%s prints the version and the Node.js it runs on',
    async (...args) => {
      expect(await fieldbridge(...args)).toEqual({
        code: 0,
        stdout: `fieldbridge ${version} (Node.js ${process.version})\n`,
        stderr: '',
      });
    },
  );

  it('--help lists --version', async () => {
    const { code, stdout } = await fieldbridge('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('-v, --version       fieldbridge');
  });

  it('names an unknown option in one line, with the option it probably meant', async () => {
    const typo = await fieldbridge('--verison');
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe('');
    expect(typo.stderr.split('\n')[0]).toBe(
      'fieldbridge: unknown option --verison (did you mean "--version"?)',
    );
    expect(typo.stderr).toContain('Usage:');
    const far = await fieldbridge('probe', '--frobnicate');
    expect(far.stderr.split('\n')[0]).toBe('fieldbridge: unknown option --frobnicate');
  });
});

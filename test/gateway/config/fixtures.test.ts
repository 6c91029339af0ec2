/**
 * Data-driven config tests: one folder per case under test/fixtures/config/, holding the gateway config
 * (gateway.json, or broken-gateway.json when it is not valid JSON), its mapping files, and expected.txt.
 * Each line of expected.txt must be found in exactly one printed problem or warning (`file:line:col
 * $.path  message`, warnings as `… warning: message`), and every printed line must be expected: no
 * problem goes unreported and no noise slips in. `<dir>` stands for the case folder's absolute path.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../gateway/config/load.ts';
import { formatProblems } from '../../../gateway/config/problems.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

function expectedLines(dir: string): string[] {
  return readFileSync(join(dir, 'expected.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.replaceAll('<dir>', dir.replace(/\/$/, '')));
}

describe('config fixtures', () => {
  it('has the cases the loader must handle', () => {
    expect(cases).toEqual(
      expect.arrayContaining([
        'valid',
        'invalid-json',
        'invalid-json-mapping',
        'unknown-property',
        'wrong-port-type',
        'unknown-driver',
        'unknown-data-type',
        'duplicate-tag',
        'duplicate-device',
        'overlapping-writes',
        'address-out-of-range',
        'type-area-mismatch',
        'bool-without-bit',
        'string-without-length',
        'missing-mapping-file',
        'problems-in-two-mappings',
        'opcua-valid',
        'opcua-broken-mapping',
        'opcua-insecure',
        'opcua-mapping-shared-with-modbus',
        'rtu-line-settings-differ',
        'rtu-duplicate-unit-id',
        'serial-port-checks',
        'duplicate-keys',
        'trailing-comma-in-array',
      ]),
    );
  });

  it.each(cases)('%s', async (name) => {
    const dir = join(FIXTURES, name);
    const configFile = existsSync(join(dir, 'gateway.json')) ? 'gateway.json' : 'broken-gateway.json';
    const result = await loadConfig(join(dir, configFile), { env: {} });
    const printed = [
      ...(result.ok ? [] : formatProblems(result.problems, { cwd: dir })),
      ...formatProblems(result.warnings, { cwd: dir, label: 'warning: ' }),
    ];
    const expected = expectedLines(dir);

    const unmatched = [...printed];
    const missing: string[] = [];
    for (const line of expected) {
      const index = unmatched.findIndex((p) => p.includes(line));
      if (index === -1) missing.push(line);
      else unmatched.splice(index, 1);
    }
    expect({ missing, unexpected: unmatched }).toEqual({ missing: [], unexpected: [] });
    // A case with only warnings (or nothing) expected must load; one with a problem must not.
    expect(result.ok).toBe(expected.every((line) => line.includes(' warning: ')));
  });
});

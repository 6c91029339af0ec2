import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../gateway/cli.ts';

function recorder() {
  const logs: string[] = [];
  const errors: string[] = [];
  return { logs, errors, out: { log: (l: string) => logs.push(l), error: (l: string) => errors.push(l) } };
}

describe('fieldbridge opcua', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'fieldbridge-cli-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('passes "trust" its own flags (--list), which the global options do not know', async () => {
    const { logs, errors, out } = recorder();
    expect(await main(['opcua', 'trust', stateDir, '--list'], out)).toBe(0);
    expect(errors).toEqual([]);
    expect(logs[0]).toBe(
      `Rejected (not trusted) server certificates in ${join(stateDir, 'opcua', 'pki', 'rejected')}: 0`,
    );
  });

  it('passes "browse" its own flags and reports their errors', async () => {
    const { errors, out } = recorder();
    expect(await main(['opcua', 'browse', 'opc.tcp://127.0.0.1:4840', '--depth', '99'], out)).toBe(2);
    expect(errors).toEqual(['fieldbridge opcua browse: --depth must be an integer 1..20, not "99"']);
  });

  it('rejects a missing or unknown subcommand with the usage, which lists both', async () => {
    const missing = recorder();
    expect(await main(['opcua'], missing.out)).toBe(2);
    expect(missing.errors[0]).toContain('fieldbridge: opcua needs "browse" or "trust"');
    expect(missing.errors[0]).toContain('fieldbridge opcua browse <endpoint>');
    expect(missing.errors[0]).toContain('fieldbridge opcua trust <stateDir> --list');
    const unknown = recorder();
    expect(await main(['opcua', 'brows'], unknown.out)).toBe(2);
    expect(unknown.errors[0]).toContain('unknown opcua command "brows"');
  });
});

/**
 * node-opcua takes seconds to load: a Modbus-only gateway must never load it (gateway/devices/registry.ts
 * imports each driver on demand). Checked in a fresh process, since this test process may have loaded
 * anything; the OPC UA run proves the probe does see node-opcua when it is loaded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('./module-probe.ts', import.meta.url));

async function nodeOpcuaModulesLoaded(driver: string, stateDir: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [PROBE, driver, stateDir], {
    timeout: 30_000,
  });
  const lastLine = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(lastLine) as string[];
}

describe.concurrent('driver loading', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'fieldbridge-lazy-opcua-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('a gateway with only Modbus devices never loads node-opcua', async () => {
    expect(await nodeOpcuaModulesLoaded('modbus-tcp', stateDir)).toEqual([]);
  });

  it('a gateway with an OPC UA device does load it (the probe sees it)', async () => {
    const loaded = await nodeOpcuaModulesLoaded('opcua', stateDir);
    expect(loaded.some((url) => url.includes('/node-opcua-client/'))).toBe(true);
  });
});

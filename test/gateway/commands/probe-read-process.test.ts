/**
 * `fieldbridge probe` and `fieldbridge read` as users run them (`node bin/fieldbridge.mjs …`, child
 * processes) against our Modbus TCP simulator:
 * - probe --type string shows the text both ways a device may send it, so a low-byte-first string is
 *   recognisable (every column used to show the same text);
 * - a mistyped --type gets the list and a did-you-mean;
 * - read prints values as JSON: a 64-bit value beyond 2^53 as the quoted decimal string it is published
 *   as, a number within range unquoted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';

const CLI = fileURLToPath(new URL('../../../bin/fieldbridge.mjs', import.meta.url));

function fieldbridge(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

/** Table lines split at the column gaps (two or more spaces). */
function cells(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {2,}/));
}

describe('probe and read through the CLI', () => {
  const plc = new ModbusTcpSimulator();
  let port = 0;
  let dir = '';

  beforeAll(async () => {
    port = (await plc.listen(0)).port;
    const unit = plc.unit(1);
    // "Hello!" from a device that sends the low byte of each register first: "eH", "ll", "!o".
    unit.holding.set([0x6548, 0x6c6c, 0x216f], 0);
    // uint64 18446744073709551615 (beyond 2^53) and int64 -2 (within range), big-endian words.
    unit.holding.set([0xffff, 0xffff, 0xffff, 0xffff], 10);
    unit.holding.set([0xffff, 0xffff, 0xffff, 0xfffe], 14);
    dir = await mkdtemp(join(tmpdir(), 'fieldbridge-probe-read-'));
  });
  afterAll(async () => {
    await plc.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('probe --type string shows the text high byte first and low byte first', async () => {
    const { code, stdout, stderr } = await fieldbridge(
      'probe',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--address',
      '0',
      '--count',
      '3',
      '--type',
      'string',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(cells(stdout)).toEqual([
      ['holding registers 0..2: 6548 6c6c 216f'],
      ['ADDRESS', 'HIGH BYTE FIRST', 'LOW BYTE FIRST ("byteSwap": true)'],
      ['0', '"eHll!o"', '"Hello!"'],
    ]);
  });

  it('probe with a mistyped --type lists the types and suggests the one meant', async () => {
    const { code, stdout, stderr } = await fieldbridge(
      'probe',
      '--host',
      'h',
      '--address',
      '0',
      '--type',
      'flaot32',
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(
      'fieldbridge: --type "flaot32" is not a register type: use one of int16, uint16, int32, uint32, int64, uint64, float32, float64, string, bcd16, bcd32 (did you mean "float32"?)',
    );
  });

  it('read prints a 64-bit value beyond 2^53 as a quoted decimal string, one within range as a number', async () => {
    await writeFile(
      join(dir, 'counters.json'),
      JSON.stringify({
        tags: [
          { name: 'energy_wh', area: 'holding', address: 10, type: 'uint64' },
          { name: 'delta', area: 'holding', address: 14, type: 'int64' },
        ],
      }),
    );
    const config = join(dir, 'gateway.json');
    await writeFile(
      config,
      JSON.stringify({
        gateway: { id: 'read-test', stateDir: dir },
        mqtt: { url: 'mqtt://127.0.0.1:1' },
        devices: [{ name: 'meter', driver: 'modbus-tcp', host: '127.0.0.1', port, mapping: 'counters.json' }],
      }),
    );
    const { code, stdout, stderr } = await fieldbridge('read', config, 'meter');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(cells(stdout)).toEqual([
      ['TAG', 'VALUE', 'UNIT', 'QUALITY', 'ERROR'],
      ['energy_wh', '"18446744073709551615"', 'good'],
      ['delta', '-2', 'good'],
    ]);
  });
});

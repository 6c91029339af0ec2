/**
 * `fieldbridge probe`, `read` and `status` against real peers: a Modbus simulator with known registers
 * and a running status server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Output } from '../../../gateway/cli.ts';
import { parseProbeOptions } from '../../../gateway/commands/probe.ts';
import { loadConfig } from '../../../gateway/config/load.ts';
import { createLogger } from '../../../gateway/log.ts';
import { type RunningService, startService } from '../../../gateway/service/service.ts';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';

const MAPPING = fileURLToPath(new URL('../../fixtures/integration/plc-known.json', import.meta.url));

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, log: (l) => void lines.push(l), error: (l) => void errors.push(l) };
}

describe('commissioning commands', () => {
  const plc = new ModbusTcpSimulator();
  let port = 0;
  let dir = '';
  let configFile = '';

  beforeAll(async () => {
    port = (await plc.listen(0)).port;
    plc.unit(1).holding.set([0x41ac, 0x0000], 0); // float32 21.5 in ABCD
    dir = await mkdtemp(join(tmpdir(), 'fb-cmd-'));
    configFile = join(dir, 'gateway.json');
    await writeFile(
      configFile,
      JSON.stringify({
        gateway: { id: 'cmd', stateDir: dir },
        mqtt: { url: 'mqtt://127.0.0.1:9' },
        queue: { type: 'memory' },
        http: { port: 0 },
        devices: [{ name: 'plc', driver: 'modbus-tcp', host: '127.0.0.1', port, mapping: MAPPING }],
      }),
    );
  });
  afterAll(async () => {
    await plc.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('probe shows the registers decoded in every byte order', async () => {
    const out = capture();
    const code = await main(
      ['probe', '--host', '127.0.0.1', '--port', String(port), '--address', '0', '--count', '2'],
      out,
    );
    expect(out.errors).toEqual([]);
    expect(code).toBe(0);
    expect(out.lines[0]).toBe('holding registers 0..1: 41ac 0000');
    expect(out.lines[1]?.split(/\s+/)).toEqual(['ADDRESS', 'ABCD', 'BADC', 'CDAB', 'DCBA']);
    expect(out.lines[2]?.split(/\s+/).slice(0, 2)).toEqual(['0', '21.5']);
    expect(out.lines).toHaveLength(3);
  });

  it('probe flags are checked', () => {
    expect(parseProbeOptions({ host: 'h' })).toBe('probe needs --host and --address');
    expect(parseProbeOptions({ host: 'h', address: '4x' })).toBe('--address needs a whole number (got "4x")');
    expect(parseProbeOptions({ host: 'h', address: '3', area: 'coil' })).toBe(
      '--area is holding or input (got "coil")',
    );
    expect(parseProbeOptions({ host: 'h', address: '3' })).toEqual({
      host: 'h',
      port: 502,
      unitId: 1,
      address: 3,
      count: 2,
      area: 'holding',
      type: 'float32',
    });
  });

  it('read polls one device once and prints its tags', async () => {
    const out = capture();
    await main(['read', configFile, 'plc'], out);
    expect(out.lines[0]?.split(/\s+/)).toEqual(['TAG', 'VALUE', 'UNIT', 'QUALITY', 'ERROR']);
    expect(out.lines.find((l) => l.startsWith('temperature'))?.split(/\s+/)).toEqual([
      'temperature',
      '21.5',
      '°C',
      'good',
    ]);
  });

  it('read names the devices when the one asked for is not there', async () => {
    const out = capture();
    expect(await main(['read', configFile, 'nope'], out)).toBe(1);
    expect(out.errors).toEqual([`fieldbridge read: no device "nope" in ${configFile} (devices: plc)`]);
  });

  it('status prints the running gateway as tables', async () => {
    const loaded = await loadConfig(configFile);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const service: RunningService = await startService({
      configPath: configFile,
      loaded: loaded.config,
      log: createLogger({ level: 'silent', pretty: false }),
      version: '1.2.3',
      env: {},
    });
    try {
      const out = capture();
      // The broker is down here: the gateway queues, so it is ready but degraded (exit code 0), with the reason.
      expect(await main(['status', '--url', service.http!.url], out)).toBe(0);
      expect(out.lines[0]).toMatch(/^gateway cmd 1\.2\.3, up \d+ s: ready, DEGRADED$/);
      expect(out.lines.some((l) => l.startsWith('  - broker not connected'))).toBe(true);
      expect(out.lines.find((l) => l.startsWith('DEVICE'))?.split(/\s{2,}/)).toEqual([
        'DEVICE',
        'DRIVER',
        'STATE',
        'POLLS',
        'FAILED',
        'GOOD/BAD/STALE',
        'LAST ERROR',
      ]);
      expect(out.lines.some((l) => l.startsWith('plc  ') && l.includes('modbus-tcp'))).toBe(true);
    } finally {
      await service.stop();
    }
  });

  it('status says why it cannot reach the gateway', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = new ModbusTcpSimulator();
    const closed = (await probe.listen(0)).port;
    await probe.close();
    const out = capture();
    expect(await main(['status', '--url', `http://127.0.0.1:${closed}`], out)).toBe(1);
    expect(out.errors).toEqual([
      `fieldbridge status: cannot get http://127.0.0.1:${closed}/api/status: connect ECONNREFUSED 127.0.0.1:${closed}`,
    ]);
  });
});

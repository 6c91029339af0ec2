import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, tagCount } from '../../../gateway/config/load.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));

describe('loadConfig', () => {
  it('returns the config with every path absolute and each device with its mapping', async () => {
    const dir = join(FIXTURES, 'valid');
    const result = await loadConfig(join(dir, 'gateway.json'), { env: {} });
    if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
    const { file, config, devices } = result.config;
    expect(file).toBe(join(dir, 'gateway.json'));
    expect(config.gateway?.stateDir).toBe(join(dir, 'state'));
    expect(config.queue?.dir).toBe(join(dir, 'queue'));
    expect(config.mqtt.password).toEqual({ file: join(dir, 'secrets/mqtt-password') });
    expect(config.mqtt.tls).toEqual({ ca: join(dir, 'certs/ca.pem'), minVersion: 'TLSv1.3' });
    expect(devices.map((d) => [d.config.name, d.mappingFile, tagCount(d)])).toEqual([
      ['boiler', join(dir, 'mappings/boiler.json'), 7],
      ['pump', join(dir, 'mappings/pump.json'), 2],
      ['pump-2', join(dir, 'mappings/pump.json'), 2],
    ]);
    expect(devices[0]?.config.mapping).toBe(join(dir, 'mappings/boiler.json'));
    expect(devices[1]?.config).toMatchObject({ driver: 'modbus-tcp', host: '127.0.0.1', unitId: 2 });
    expect(result.warnings).toEqual([]);
  });

  it('gives each problem its absolute file, JSON pointer, line and column', async () => {
    const dir = join(FIXTURES, 'problems-in-two-mappings');
    const result = await loadConfig(join(dir, 'gateway.json'), { env: {} });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual({
      file: join(dir, 'pump.json'),
      pointer: '/tags/0/address',
      line: 6,
      column: 18,
      message: 'expected an integer 0..65535, got "4"',
    });
    expect(new Set(result.problems.map((p) => p.file))).toEqual(
      new Set([join(dir, 'gateway.json'), join(dir, 'boiler.json'), join(dir, 'pump.json')]),
    );
  });

  describe('with files written by the test', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fieldbridge-config-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reports a config file that cannot be read', async () => {
      const result = await loadConfig(join(dir, 'nope.json'));
      expect(result).toEqual({
        ok: false,
        warnings: [],
        problems: [
          {
            file: join(dir, 'nope.json'),
            pointer: '',
            message: `cannot read config file ${join(dir, 'nope.json')}: no such file`,
          },
        ],
      });
    });

    it('reads a mapping shared by two devices once and reports its problems once', async () => {
      await writeFile(
        join(dir, 'gateway.json'),
        JSON.stringify({
          mqtt: { url: 'mqtt://localhost' },
          devices: [
            { name: 'a', driver: 'modbus-tcp', host: 'h', mapping: 'm.json' },
            { name: 'b', driver: 'modbus-tcp', host: 'h', mapping: './m.json' },
          ],
        }),
      );
      await writeFile(join(dir, 'm.json'), '{"tags": [{"name": "x", "type": "int16"}]}');
      const result = await loadConfig(join(dir, 'gateway.json'));
      expect(result.ok ? [] : result.problems.map((p) => [p.pointer, p.line, p.column, p.message])).toEqual([
        [
          '/tags/0',
          1,
          11,
          'missing address: give "area" and "address" (zero-based), or "ref" (e.g. "40001")',
        ],
      ]);
    });

    it('reports a mapping file that is a directory where the gateway file names it', async () => {
      await writeFile(
        join(dir, 'gateway.json'),
        '{\n  "mqtt": { "url": "mqtt://localhost" },\n  "devices": [{ "name": "a", "driver": "modbus-tcp", "host": "h", "mapping": "." }]\n}\n',
      );
      const result = await loadConfig(join(dir, 'gateway.json'));
      expect(result.ok ? [] : result.problems).toEqual([
        {
          file: join(dir, 'gateway.json'),
          pointer: '/devices/0/mapping',
          line: 3,
          column: 78,
          message: `cannot read mapping file ${dir} (named by devices[0].mapping): is a directory, not a file`,
        },
      ]);
    });

    it('never echoes a password written inline where a secret reference belongs', async () => {
      await writeFile(
        join(dir, 'gateway.json'),
        JSON.stringify({ mqtt: { url: 'mqtts://u:hunter2@localhost', password: 'hunter2' }, devices: [] }),
      );
      const result = await loadConfig(join(dir, 'gateway.json'));
      const text = JSON.stringify(result);
      expect(text).toContain('a secret is never written in the config itself');
      expect(text).not.toContain('hunter2');
    });
  });
});

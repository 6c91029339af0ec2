import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runValidate } from '../../../gateway/commands/validate.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));

async function validate(name: string, env: NodeJS.ProcessEnv = {}) {
  const dir = join(FIXTURES, name);
  const out = { log: [] as string[], error: [] as string[] };
  const code = await runValidate(
    join(dir, 'gateway.json'),
    { log: (line) => out.log.push(line), error: (line) => out.error.push(line) },
    { env, cwd: dir },
  );
  return { code, ...out, dir };
}

describe('fieldbridge validate', () => {
  it('summarises a valid config and exits 0', async () => {
    const { code, log, error, dir } = await validate('valid');
    expect(code).toBe(0);
    expect(log).toEqual([`✔ ${join(dir, 'gateway.json')} is valid: 3 devices, 11 tags (2 mapping files)`]);
    expect(error).toEqual([]);
  });

  it('prints warnings after the summary of a valid config', async () => {
    const { code, log } = await validate('warnings', { FB_TEST_UNSET_PASSWORD: 'x' });
    expect(code).toBe(0);
    expect(log).toHaveLength(4);
    expect(log[0]).toMatch(/^✔ .*gateway\.json is valid: 1 device, 1 tag \(1 mapping file\)$/);
    expect(log.slice(1)).toEqual([
      '⚠ gateway.json:3:12  $.mqtt.url  warning: mqtt:// to broker.plant.example: credentials and data unencrypted on the network; use mqtts://',
      '⚠ gateway.json:7:12  $.mqtt.tls  warning: "tls" is ignored with mqtt://; use mqtts:// or wss://',
      '⚠ gateway.json:8:29  $.mqtt.tls.insecureSkipVerify  warning: the broker certificate is not checked: anyone on the network path can impersonate the broker',
    ]);
  });

  it('prints every problem grouped by file, then the count, and exits 1', async () => {
    const { code, log, error } = await validate('problems-in-two-mappings');
    expect(code).toBe(1);
    expect(log).toEqual([]);
    expect(error.map((line) => line.split('  ').slice(0, 2).join('  '))).toEqual([
      'gateway.json:10:17  $.devices[0].unitId',
      'boiler.json:9:7  $.tags[0].scle',
      'boiler.json:12:15  $.tags[1].name',
      'boiler.json:21:15  $.tags[2].type',
      'pump.json:6:18  $.tags[0].address',
      'pump.json:13:15  $.tags[1].type',
      'pump.json:18:18  $.tags[2].address',
      '✘ 7 problems in 3 files',
    ]);
  });
});

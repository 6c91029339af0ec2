import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, tagCount } from '../../../gateway/config/load.ts';
import { compileOpcUaMapping } from '../../../mappings/opcua/compile.ts';

const EXAMPLE = fileURLToPath(new URL('../../../gateway/config/examples/opcua.json', import.meta.url));
const MAPPING = fileURLToPath(new URL('../../../mappings/examples/opcua-demo.json', import.meta.url));

describe('gateway/config/examples/opcua.json', () => {
  it('loads (only the unavailable-secret warnings) with an OPC UA and a Modbus device', async () => {
    const result = await loadConfig(EXAMPLE, { env: {} });
    if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
    expect(result.warnings.map((w) => w.pointer)).toEqual(['/mqtt/password', '/devices/0/user/password']);
    const [opcua, modbus] = result.config.devices;
    expect([opcua?.kind, opcua?.mappingFile, modbus?.kind]).toEqual(['opcua', MAPPING, 'modbus']);
    expect(opcua === undefined ? 0 : tagCount(opcua)).toBe(7);
  });

  it('has a mapping that points editors at the generated schema and compiles', () => {
    const mapping = JSON.parse(readFileSync(MAPPING, 'utf8'));
    expect(mapping.$schema).toBe('../opcua-mapping.schema.json');
    const compiled = compileOpcUaMapping(mapping, { name: 'line2-plc' });
    expect(compiled.groups.map((g) => [g.name, g.mode, g.tags.length])).toEqual([
      ['process', 'subscription', 4],
      ['counters', 'poll', 3],
    ]);
  });
});

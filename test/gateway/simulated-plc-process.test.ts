import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileProcessModel, type RegisterBanks } from '../../gateway/demo/simulated-plc-process.ts';
import { compileModbusMapping } from '../../mappings/modbus/compile.ts';
import type { BlockResult } from '../../mappings/modbus/read-plan.ts';
import type { ModbusMapping } from '../../mappings/schema.ts';

const mapping = JSON.parse(
  readFileSync(new URL('../../mappings/examples/demo-plc.json', import.meta.url), 'utf8'),
) as ModbusMapping;

function banks(): RegisterBanks {
  return {
    coils: new Uint8Array(65536),
    discrete: new Uint8Array(65536),
    holding: new Uint16Array(65536),
    input: new Uint16Array(65536),
  };
}

/** Reads the banks the way a driver would execute the compiled plan. */
function decodeAt(t: number) {
  const bank = banks();
  compileProcessModel(mapping)(bank, t);
  const device = compileModbusMapping(mapping, { name: 'sim' });
  const results: BlockResult[] = device.plan.blocks.map((block) =>
    block.area === 'coil' || block.area === 'discrete'
      ? {
          ok: true,
          bits: bank[block.area === 'coil' ? 'coils' : 'discrete'].slice(
            block.start,
            block.start + block.count,
          ),
        }
      : { ok: true, registers: bank[block.area].slice(block.start, block.start + block.count) },
  );
  return device.decode({ ts: 0, results });
}

describe('simulated PLC process model', () => {
  it('gives every tag of the demo mapping a good value of the right JSON type', () => {
    const samples = decodeAt(12.5);
    expect(samples.length).toBe(mapping.tags.length);
    for (const [i, sample] of samples.entries()) {
      const tag = mapping.tags[i]!;
      expect(sample.quality, `${tag.name}: ${sample.error}`).toBe('good');
      const expected = tag.type === 'bool' ? 'boolean' : tag.type === 'string' ? 'string' : 'number';
      expect(typeof sample.value, tag.name).toBe(expected);
    }
  });

  it('changes values over time', () => {
    const a = decodeAt(1).map((s) => s.value);
    const b = decodeAt(9).map((s) => s.value);
    const changed = a.filter((v, i) => v !== b[i]).length;
    expect(changed).toBeGreaterThan(mapping.tags.length / 2);
  });
});

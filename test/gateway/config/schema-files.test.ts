import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSchemaValidators } from '../../../gateway/config/schema-validation.ts';
import { renderSchemaFiles } from '../../../gateway/config/write-schemas.ts';

const EXAMPLE = fileURLToPath(new URL('../../../gateway/config/examples/gateway.json', import.meta.url));

describe('JSON Schema files', () => {
  it.each(renderSchemaFiles().map((file) => [file.path.split('/').slice(-2).join('/'), file] as const))(
    '%s is up to date with the TypeBox schema (run `npm run schemas`)',
    (_name, file) => {
      expect(readFileSync(file.path, 'utf8')).toBe(file.text);
    },
  );
});

describe('gateway/config/examples/gateway.json', () => {
  const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown> & {
    devices: { mapping: string; driver: string }[];
  };

  it('matches the gateway schema', () => {
    expect(createSchemaValidators().gateway(example)).toEqual([]);
  });

  it('points editors at the generated schema and at the demo mapping by relative paths', () => {
    const dir = dirname(EXAMPLE);
    expect(resolve(dir, String(example.$schema))).toBe(resolve(dir, '..', 'gateway.schema.json'));
    expect(example.devices.map((d) => resolve(dir, d.mapping))).toContain(
      fileURLToPath(new URL('../../../mappings/examples/demo-plc.json', import.meta.url)),
    );
    expect(example.devices.filter((d) => d.driver === 'modbus-tcp')).toHaveLength(2);
  });
});

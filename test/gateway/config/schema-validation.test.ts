/**
 * The two stages of schema validation (gateway/config/schema-validation.ts): TypeBox's Value.Check
 * decides alone when it accepts, so it must never accept what ajv rejects. Checked two ways: the schemas
 * use only keywords for which Value.Check is as strict as ajv, and on every config and mapping under
 * test/fixtures and the examples, plus thousands of mutations of them, both stages give the same verdict.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import type { MappingKind } from '../../../gateway/config/mapping-kind.ts';
import { parseJson } from '../../../gateway/config/read-json.ts';
import { GatewayConfigSchema } from '../../../gateway/config/schema.ts';
import {
  createAjvValidators,
  createSchemaValidators,
  quickCheck,
} from '../../../gateway/config/schema-validation.ts';
import { NodeIdTextSchema, OpcUaMappingSchema } from '../../../mappings/opcua/schema.ts';
import { ModbusMappingSchema } from '../../../mappings/schema.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Keywords for which Value.Check accepts only what ajv accepts. Annotations (description, title, $id,
 * discriminator, default, examples) do not validate in either. Not here, for example: `format` (TypeBox
 * needs its own registry), `uniqueItems`, `patternProperties`, `if`/`then`, `$ref`.
 */
const AS_STRICT = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'anyOf',
  'const',
  'minimum',
  'maximum',
  'pattern',
  'minLength',
  'items',
  'minItems',
  'description',
  'title',
  '$id',
  'discriminator',
  'default',
  'examples',
]);

function keywordsOf(schema: unknown, found: Map<string, unknown[]>, isPropertyMap = false): void {
  if (Array.isArray(schema)) {
    for (const item of schema) keywordsOf(item, found);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  for (const [key, value] of Object.entries(schema)) {
    if (!isPropertyMap) found.set(key, [...(found.get(key) ?? []), value]);
    if (isPropertyMap || ['properties', 'items', 'anyOf', 'additionalProperties'].includes(key)) {
      keywordsOf(value, found, !isPropertyMap && key === 'properties');
    }
  }
}

describe('schema keywords', () => {
  const found = new Map<string, unknown[]>();
  for (const schema of [GatewayConfigSchema, ModbusMappingSchema, OpcUaMappingSchema])
    keywordsOf(schema, found);

  it('are all ones for which Value.Check is as strict as ajv', () => {
    expect([...found.keys()].filter((key) => !AS_STRICT.has(key))).toEqual([]);
  });

  it('set additionalProperties only to false (no schema-valued additional properties)', () => {
    expect(new Set(found.get('additionalProperties'))).toEqual(new Set([false]));
  });

  it('ask minLength > 1 only where the pattern needs that many characters anyway', () => {
    // Value.Check counts UTF-16 code units, ajv code points: they differ only past minLength 1. The one
    // such schema is the OPC UA node id, whose pattern needs at least 3 characters ("i=1").
    const long = [GatewayConfigSchema, ModbusMappingSchema, OpcUaMappingSchema].flatMap((schema) =>
      stringsWithMinLength(schema, 2),
    );
    expect(long.length).toBeGreaterThan(0);
    for (const schema of long) expect(schema).toEqual(NodeIdTextSchema);
    expect(NodeIdTextSchema.minLength).toBe(3);
    const pattern = new RegExp(NodeIdTextSchema.pattern ?? '', 'u');
    for (const short of ['', 'i', 'i=', '😀', '😀😀', 'i😀']) expect(pattern.test(short)).toBe(false);
  });
});

/** The string schemas (by identity) with minLength ≥ min, anywhere below schema. */
function stringsWithMinLength(schema: unknown, min: number): unknown[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const here = Number((schema as { minLength?: unknown }).minLength) >= min ? [schema] : [];
  return [...here, ...Object.values(schema).flatMap((value) => stringsWithMinLength(value, min))];
}

/** Every JSON file of a config fixture or an example, with the kind of document it is. */
function samples(): { name: string; kind: 'gateway' | MappingKind; data: unknown }[] {
  const out: { name: string; kind: 'gateway' | MappingKind; data: unknown }[] = [];
  const add = (file: string) => {
    // What the loader refuses before the schema stage (broken JSON, nesting past the limit) never
    // reaches the validators.
    const parsed = parseJson(readFileSync(file, 'utf8'));
    if (!parsed.ok) return;
    const data = parsed.data;
    const name = file.slice(REPO.length);
    if (typeof data !== 'object' || data === null) return;
    if ('mqtt' in data || 'devices' in data) out.push({ name, kind: 'gateway', data });
    else if ('groups' in data) out.push({ name, kind: 'opcua', data });
    else if ('tags' in data) out.push({ name, kind: 'modbus', data });
  };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.json')) add(path);
    }
  };
  walk(join(REPO, 'test/fixtures/config'));
  walk(join(REPO, 'gateway/config/examples'));
  walk(join(REPO, 'mappings/examples'));
  return out;
}

const WRONG_VALUES: unknown[] = [
  '',
  'x',
  '😀',
  'i=😀',
  -1,
  0,
  1.5,
  65536,
  JSON.parse('1e400'),
  true,
  null,
  [],
  {},
];

/** The document with one change at one place: a value replaced, a property removed or added. */
function* mutations(data: unknown): Generator<unknown> {
  const clone = () => JSON.parse(JSON.stringify(data)) as unknown;
  const paths: (string | number)[][] = [];
  const collect = (value: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(value)) {
      for (const [i, item] of value.slice(0, 3).entries()) collect(item, [...path, i]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) collect(item, [...path, key]);
    }
  };
  collect(data, []);
  for (const path of paths) {
    if (path.length === 0) continue;
    const at = (root: unknown) =>
      path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);
    const last = path[path.length - 1] as string | number;
    for (const value of WRONG_VALUES) {
      const copy = clone();
      (at(copy) as Record<string | number, unknown>)[last] = value;
      yield copy;
    }
    const removed = clone();
    const parent = at(removed);
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete (parent as Record<string, unknown>)[last];
    yield removed;
    const target = (at(clone()) as Record<string | number, unknown>)[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
      const added = clone();
      ((at(added) as Record<string | number, unknown>)[last] as Record<string, unknown>).unknownKey = 1;
      yield added;
    }
  }
}

const SCHEMAS: Record<'gateway' | MappingKind, TSchema> = {
  gateway: GatewayConfigSchema,
  modbus: ModbusMappingSchema,
  opcua: OpcUaMappingSchema,
};

describe('quick check and ajv', () => {
  const ajv = createAjvValidators();
  const issuesOf = (kind: 'gateway' | MappingKind, data: unknown) =>
    kind === 'gateway' ? ajv.gateway(data) : ajv.mapping(kind, data);
  const all = samples();

  it('find documents of every kind to compare', () => {
    expect(new Set(all.map((s) => s.kind))).toEqual(new Set(['gateway', 'modbus', 'opcua']));
  });

  it.each(all.map((s) => [s.name, s] as const))('agree on %s and on its mutations', (_name, sample) => {
    const disagreements: unknown[] = [];
    let compared = 0;
    for (const data of [sample.data, ...mutations(sample.data)]) {
      compared++;
      const quick = quickCheck(SCHEMAS[sample.kind], data);
      const ajvValid = issuesOf(sample.kind, data).length === 0;
      if (quick !== ajvValid) disagreements.push({ quick, ajvValid, data });
    }
    expect(compared).toBeGreaterThan(1);
    expect(disagreements).toEqual([]);
  });

  it('reports the same problems through both stages', () => {
    const validators = createSchemaValidators();
    for (const sample of all) {
      const viaStages =
        sample.kind === 'gateway'
          ? validators.gateway(sample.data)
          : validators.mapping(sample.kind, sample.data);
      expect(viaStages).toEqual(issuesOf(sample.kind, sample.data));
    }
  });
});

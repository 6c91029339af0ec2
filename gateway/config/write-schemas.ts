/**
 * `npm run schemas`: writes the JSON Schema files that editors use (through "$schema" in a config or
 * mapping file) from the TypeBox definitions, the single source of truth. A test checks that the
 * committed files equal this output, so they cannot drift.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpcUaMappingSchema } from '../../mappings/opcua/schema.ts';
import { ModbusMappingSchema } from '../../mappings/schema.ts';
import { GatewayConfigSchema } from './schema.ts';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SchemaFile {
  /** Absolute. */
  readonly path: string;
  readonly text: string;
}

export function renderSchemaFiles(root: string = REPO_ROOT): SchemaFile[] {
  return [
    { path: join(root, 'gateway', 'config', 'gateway.schema.json'), text: render(GatewayConfigSchema) },
    { path: join(root, 'mappings', 'modbus-mapping.schema.json'), text: render(ModbusMappingSchema) },
    { path: join(root, 'mappings', 'opcua-mapping.schema.json'), text: render(OpcUaMappingSchema) },
  ];
}

function render(schema: object): string {
  const document = { $schema: 'http://json-schema.org/draft-07/schema#', ...schema };
  return `${JSON.stringify(stableOrder(document, false), null, 2)}\n`;
}

// Identification and documentation first, then the rest alphabetically: the files diff cleanly whatever
// order TypeBox happens to emit keys in.
const LEADING_KEYS = ['$schema', '$id', 'title', 'description', 'type'];

/**
 * Sorts schema keywords; the members of a `properties` map keep their declared order, which is the
 * order people read the fields in (and editors offer them in).
 */
function stableOrder(value: unknown, isPropertyMap: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => stableOrder(item, false));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (!isPropertyMap) entries.sort(([a], [b]) => keyRank(a) - keyRank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(
    entries.map(([key, item]) => [key, stableOrder(item, !isPropertyMap && key === 'properties')]),
  );
}

function keyRank(key: string): number {
  const index = LEADING_KEYS.indexOf(key);
  return index === -1 ? LEADING_KEYS.length : index;
}

if (import.meta.main) {
  for (const file of renderSchemaFiles()) {
    await writeFile(file.path, file.text);
    console.log(`wrote ${file.path}`);
  }
}

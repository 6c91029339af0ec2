/**
 * Loads a gateway config and every mapping file it names, and reports every problem in all of them at
 * once (syntax, schema, then cross-field checks), each with file, JSON pointer, line and column. Nothing
 * is started and nothing is written: `fieldbridge validate` and `fieldbridge run` share this.
 */
import { dirname, resolve } from 'node:path';
import { type OpcUaDeviceConfig, opcUaDeviceProblems } from '../../mappings/opcua/device-schema.ts';
import type { OpcUaMapping } from '../../mappings/opcua/schema.ts';
import type { ModbusMapping } from '../../mappings/schema.ts';
import { absoluteConfigPaths } from './absolute-paths.ts';
import { checkSecrets, checkTlsFiles } from './file-checks.ts';
import { checkGateway, checkReadLimits, field } from './gateway-checks.ts';
import { duplicateKeyProblems } from './json-duplicate-keys.ts';
import { checkMapping, type PlacedTag } from './mapping-checks.ts';
import { KIND_NAMES, type MappingKind, mappingKindOf } from './mapping-kind.ts';
import { checkOpcUaMapping } from './opcua-mapping-checks.ts';
import { displayPath, type Issue, type Problem, pointerOf } from './problems.ts';
import { type ParsedJson, readJsonFile } from './read-json.ts';
import type { GatewayConfig, ModbusDeviceConfig } from './schema.ts';
import { createSchemaValidators, type SchemaValidators } from './schema-validation.ts';
import { checkSerialLines, checkSerialPorts } from './serial-line-checks.ts';

export type { Problem } from './problems.ts';

/** A device with its mapping, in the format of its protocol (`kind` tells which). */
export type LoadedDevice =
  | {
      readonly kind: 'modbus';
      readonly config: ModbusDeviceConfig;
      /** Absolute. */
      readonly mappingFile: string;
      readonly mapping: ModbusMapping;
    }
  | {
      readonly kind: 'opcua';
      readonly config: OpcUaDeviceConfig;
      /** Absolute. */
      readonly mappingFile: string;
      readonly mapping: OpcUaMapping;
    };

/** How many tags a device's mapping defines, whatever its protocol. */
export function tagCount(device: LoadedDevice): number {
  return device.kind === 'modbus'
    ? device.mapping.tags.length
    : device.mapping.groups.reduce((sum, group) => sum + group.tags.length, 0);
}

export interface LoadedConfig {
  /** Absolute path of the gateway config file. */
  readonly file: string;
  /** Every file path in it is absolute (relative ones resolved from the config file's directory). */
  readonly config: GatewayConfig;
  /** In config order, one per device (disabled ones included). */
  readonly devices: readonly LoadedDevice[];
}

export type LoadResult =
  | { readonly ok: true; readonly config: LoadedConfig; readonly warnings: Problem[] }
  | { readonly ok: false; readonly problems: Problem[]; readonly warnings: Problem[] };

export interface LoadOptions {
  /** For secrets ($CREDENTIALS_DIRECTORY included). Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

interface MappingLoad {
  /** undefined when only devices of unknown drivers name the file: it is read but not checked. */
  readonly kind: MappingKind | undefined;
  readonly problems: Problem[];
  readonly placed: PlacedTag[];
  /** Set when the file was read and parsed. */
  readonly data?: unknown;
  /** Set when the file could not be read: the reason, reported where the file is named. */
  readonly unreadable?: string;
}

export async function loadConfig(configPath: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const env = opts.env ?? process.env;
  const file = resolve(configPath);
  const baseDir = dirname(file);
  const read = await readJsonFile(file);
  if (read.ok === 'unreadable') {
    return fail([{ file, pointer: '', message: `cannot read config file ${file}: ${read.reason}` }]);
  }
  if (read.ok === false) return fail([{ file, pointer: '', ...read.position, message: read.message }]);

  const data = read.data;
  const place = placeIn(file, read);
  const validators = createSchemaValidators();
  const checked = checkGateway(data);
  const ports = await checkSerialPorts(field(data, 'devices'));
  const problems = [
    ...duplicateKeyProblems(file, read.duplicateKeys),
    ...validators.gateway(data).map(place),
    ...checked.errors.map(place),
    ...checkSerialLines(field(data, 'devices')).map(place),
    ...ports.errors.map(place),
    ...(await checkTlsFiles(data, baseDir)).map(place),
  ];
  const warnings = [...checked.warnings, ...checkSecrets(data, baseDir, env), ...ports.warnings].map(place);

  const devices = field(data, 'devices');
  const deviceList: unknown[] = Array.isArray(devices) ? devices : [];
  const mappingFiles = deviceList.map((device) => mappingFileOf(device, baseDir));
  const kinds = mappingKinds(deviceList, mappingFiles);
  problems.push(...kinds.conflicts.map(place));
  const loads = await loadMappings(kinds.byFile, validators);
  for (const load of loads.values()) problems.push(...load.problems);
  deviceList.forEach((device, index) => {
    problems.push(...deviceProblems(device, index, mappingFiles[index], loads).map(place));
  });

  if (problems.length > 0) return { ok: false, problems, warnings };
  // No problems: the schemas accepted every file, so the data has the declared types.
  const config = absoluteConfigPaths(data as GatewayConfig, baseDir);
  return {
    ok: true,
    warnings,
    config: {
      file,
      config,
      devices: config.devices.map((device) => loadedDevice(device, loads)),
    },
  };

  function fail(found: Problem[]): LoadResult {
    return { ok: false, problems: found, warnings: [] };
  }
}

/** A device's own problems beyond the schema: OPC UA security rules, its mapping file, Modbus read limits. */
function deviceProblems(
  device: unknown,
  index: number,
  mappingFile: string | undefined,
  loads: ReadonlyMap<string, MappingLoad>,
): Issue[] {
  const issues: Issue[] = [];
  const pointer = pointerOf('devices', index);
  const kind = mappingKindOf(field(device, 'driver'));
  // Cross-field security rules of an OPC UA device (insecure or deprecated security must be asked for).
  if (kind === 'opcua' && typeof device === 'object' && device !== null) {
    const found = opcUaDeviceProblems(device as OpcUaDeviceConfig);
    issues.push(...found.map((p) => ({ ...p, pointer: `${pointer}${p.pointer}` })));
  }
  const load = mappingFile === undefined ? undefined : loads.get(mappingFile);
  if (mappingFile === undefined || load === undefined) return issues;
  if (load.unreadable !== undefined) {
    const named = `named by ${displayPath(`${pointer}/mapping`).slice(2)}`;
    issues.push({
      pointer: `${pointer}/mapping`,
      message: `cannot read mapping file ${mappingFile} (${named}): ${load.unreadable}`,
    });
    return issues;
  }
  if (kind !== 'modbus' || load.kind !== 'modbus') return issues;
  const mappingName = String(field(device, 'mapping'));
  issues.push(...checkReadLimits(device, pointer, mappingName, load.placed));
  return issues;
}

/** A valid device with its mapping, typed by its protocol (the schemas accepted both). */
function loadedDevice(
  device: GatewayConfig['devices'][number],
  loads: ReadonlyMap<string, MappingLoad>,
): LoadedDevice {
  const mapping = loads.get(device.mapping)?.data;
  return device.driver === 'opcua'
    ? { kind: 'opcua', config: device, mappingFile: device.mapping, mapping: mapping as OpcUaMapping }
    : { kind: 'modbus', config: device, mappingFile: device.mapping, mapping: mapping as ModbusMapping };
}

function mappingFileOf(device: unknown, baseDir: string): string | undefined {
  const mapping = field(device, 'mapping');
  return typeof mapping === 'string' && mapping !== '' ? resolve(baseDir, mapping) : undefined;
}

/**
 * The format of each mapping file: that of the first device (of a known driver) naming it. A file named by
 * devices of two protocols is reported at the later device, and checked as the first device's format.
 */
function mappingKinds(
  devices: readonly unknown[],
  files: readonly (string | undefined)[],
): { byFile: Map<string, MappingKind | undefined>; conflicts: Issue[] } {
  const byFile = new Map<string, MappingKind | undefined>();
  const firstUser = new Map<string, number>();
  const conflicts: Issue[] = [];
  files.forEach((file, index) => {
    if (file === undefined) return;
    const kind = mappingKindOf(field(devices[index], 'driver'));
    const known = byFile.get(file);
    if (known === undefined) {
      byFile.set(file, kind);
      if (kind !== undefined) firstUser.set(file, index);
      return;
    }
    if (kind === undefined || kind === known) return;
    const first = firstUser.get(file) ?? 0;
    const name = (i: number) => JSON.stringify(field(devices[i], 'name') ?? `devices[${i}]`);
    conflicts.push({
      pointer: pointerOf('devices', index, 'mapping'),
      message:
        `mapping file ${file} is already the ${KIND_NAMES[known]} mapping of device ${name(first)} ` +
        `(devices[${first}]); ${KIND_NAMES[kind]} device ${name(index)} needs its own ${KIND_NAMES[kind]} mapping file ` +
        '(the two protocols have different mapping formats)',
    });
  });
  return { byFile, conflicts };
}

/** Each distinct mapping file is read and checked once, however many devices share it. */
async function loadMappings(
  files: ReadonlyMap<string, MappingKind | undefined>,
  validators: SchemaValidators,
): Promise<Map<string, MappingLoad>> {
  const unique = [...files];
  const loads = await Promise.all(unique.map(([file, kind]) => loadMapping(file, kind, validators)));
  return new Map(unique.map(([file], i) => [file, loads[i] as MappingLoad]));
}

async function loadMapping(
  file: string,
  kind: MappingKind | undefined,
  validators: SchemaValidators,
): Promise<MappingLoad> {
  const read = await readJsonFile(file);
  if (read.ok === 'unreadable') return { kind, problems: [], placed: [], unreadable: read.reason };
  if (read.ok === false) {
    return { kind, problems: [{ file, pointer: '', ...read.position, message: read.message }], placed: [] };
  }
  const place = placeIn(file, read);
  const duplicates = duplicateKeyProblems(file, read.duplicateKeys);
  if (kind === undefined) return { kind, problems: duplicates, placed: [], data: read.data };
  if (kind === 'opcua') {
    const checked = checkOpcUaMapping(read.data);
    const schemaIssues = validators
      .mapping(kind, read.data)
      .filter((issue) => !checked.nodeIdPointers.has(issue.pointer));
    const problems = [...duplicates, ...[...schemaIssues, ...checked.issues].map(place)];
    return { kind, problems, placed: [], data: read.data };
  }
  const checked = checkMapping(read.data);
  const problems = [...duplicates, ...[...validators.mapping(kind, read.data), ...checked.issues].map(place)];
  return { kind, problems, placed: checked.placed, data: read.data };
}

function placeIn(file: string, parsed: ParsedJson): (issue: Issue) => Problem {
  return (issue) => ({
    file,
    pointer: issue.pointer,
    ...parsed.locate(issue.pointer, issue.at),
    message: issue.message,
  });
}

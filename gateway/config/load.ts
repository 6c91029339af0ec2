/**
 * Loads a gateway config and every mapping file it names, and reports every problem in all of them at
 * once (syntax, schema, then cross-field checks), each with file, JSON pointer, line and column. Nothing
 * is started and nothing is written: `fieldbridge validate` and `fieldbridge run` share this.
 */
import { dirname, resolve } from 'node:path';
import type { ModbusMapping } from '../../mappings/schema.ts';
import { absoluteConfigPaths } from './absolute-paths.ts';
import { checkSecrets, checkTlsFiles } from './file-checks.ts';
import { checkGateway, checkReadLimits, field } from './gateway-checks.ts';
import { checkMapping, type PlacedTag } from './mapping-checks.ts';
import { displayPath, type Issue, type Problem, pointerOf } from './problems.ts';
import { type ParsedJson, readJsonFile } from './read-json.ts';
import type { DeviceConfig, GatewayConfig } from './schema.ts';
import { createSchemaValidators, type SchemaValidators } from './schema-validation.ts';

export type { Problem } from './problems.ts';

export interface LoadedDevice {
  readonly config: DeviceConfig;
  /** Absolute. */
  readonly mappingFile: string;
  readonly mapping: ModbusMapping;
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
  const problems = [
    ...validators.gateway(data).map(place),
    ...checked.errors.map(place),
    ...(await checkTlsFiles(data, baseDir)).map(place),
  ];
  const warnings = [...checked.warnings, ...checkSecrets(data, baseDir, env)].map(place);

  const devices = field(data, 'devices');
  const mappingFiles = Array.isArray(devices) ? devices.map((device) => mappingFileOf(device, baseDir)) : [];
  const loads = await loadMappings(mappingFiles, validators);
  for (const load of loads.values()) problems.push(...load.problems);
  mappingFiles.forEach((mappingFile, index) => {
    const load = mappingFile === undefined ? undefined : loads.get(mappingFile);
    if (mappingFile === undefined || load === undefined) return;
    const device = (devices as unknown[])[index];
    const pointer = pointerOf('devices', index);
    if (load.unreadable !== undefined) {
      const named = `named by ${displayPath(`${pointer}/mapping`).slice(2)}`;
      problems.push(
        place({
          pointer: `${pointer}/mapping`,
          message: `cannot read mapping file ${mappingFile} (${named}): ${load.unreadable}`,
        }),
      );
      return;
    }
    const mappingName = String(field(device, 'mapping'));
    problems.push(...checkReadLimits(device, pointer, mappingName, load.placed).map(place));
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
      devices: config.devices.map((device) => ({
        config: device,
        mappingFile: device.mapping,
        mapping: loads.get(device.mapping)?.data as ModbusMapping,
      })),
    },
  };

  function fail(found: Problem[]): LoadResult {
    return { ok: false, problems: found, warnings: [] };
  }
}

function mappingFileOf(device: unknown, baseDir: string): string | undefined {
  const mapping = field(device, 'mapping');
  return typeof mapping === 'string' && mapping !== '' ? resolve(baseDir, mapping) : undefined;
}

/** Each distinct mapping file is read and checked once, however many devices share it. */
async function loadMappings(
  files: readonly (string | undefined)[],
  validators: SchemaValidators,
): Promise<Map<string, MappingLoad>> {
  const unique = [...new Set(files.filter((f) => f !== undefined))];
  const loads = await Promise.all(unique.map((file) => loadMapping(file, validators)));
  return new Map(unique.map((file, i) => [file, loads[i] as MappingLoad]));
}

async function loadMapping(file: string, validators: SchemaValidators): Promise<MappingLoad> {
  const read = await readJsonFile(file);
  if (read.ok === 'unreadable') return { problems: [], placed: [], unreadable: read.reason };
  if (read.ok === false) {
    return { problems: [{ file, pointer: '', ...read.position, message: read.message }], placed: [] };
  }
  const place = placeIn(file, read);
  const checked = checkMapping(read.data);
  const problems = [...validators.mapping(read.data), ...checked.issues].map(place);
  return { problems, placed: checked.placed, data: read.data };
}

function placeIn(file: string, parsed: ParsedJson): (issue: Issue) => Problem {
  return (issue) => ({
    file,
    pointer: issue.pointer,
    ...parsed.locate(issue.pointer, issue.at),
    message: issue.message,
  });
}

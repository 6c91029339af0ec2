/**
 * Schema validation of a gateway config and of a mapping file against the TypeBox schemas.
 *
 * Two stages, so that a valid config (every start of the service) costs a few milliseconds: TypeBox's
 * Value.Check first (interpreted, nothing to compile), and only when it finds a problem, ajv (allErrors:
 * every problem at once, with the messages of schema-messages.ts). ajv is the authority: its verdict is
 * the result whenever the quick check fails. Compiling ajv's validators takes ~200 ms on an edge CPU,
 * most of a cold start (issue 7, S6), and a valid config never needs them. The quick check is never more
 * lenient than ajv for the keywords our schemas use (test/gateway/config/schema-validation.test.ts
 * checks both the keywords and the verdicts), so a config it accepts is one ajv accepts.
 *
 * Devices are validated one by one against the schema of their `driver`: a device with an unknown driver
 * gets a single "unknown driver" message, and a known driver's device gets only its own driver's errors,
 * never the noise of the other drivers' alternatives.
 */
import { createRequire } from 'node:module';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type AjvModule from 'ajv';
import type { ValidateFunction } from 'ajv';
import { OpcUaMappingSchema } from '../../mappings/opcua/schema.ts';
import { ModbusMappingSchema } from '../../mappings/schema.ts';
import type { MappingKind } from './mapping-kind.ts';
import { type Issue, pointerOf } from './problems.ts';
import { DeviceSchema, GatewayConfigSchema, SecretRefSchema } from './schema.ts';
import { describeSchemaErrors } from './schema-messages.ts';
import { didYouMean } from './suggest.ts';

export interface SchemaValidators {
  gateway(data: unknown): Issue[];
  /** Against the mapping format of the protocol whose devices use the file. */
  mapping(kind: MappingKind, data: unknown): Issue[];
}

const MAPPING_SCHEMAS: Record<MappingKind, TSchema> = {
  modbus: ModbusMappingSchema,
  opcua: OpcUaMappingSchema,
};

/**
 * The quick check: true only when the data certainly matches. A schema Value.Check cannot interpret
 * (it throws) is "not sure", which sends the data to ajv.
 */
export function quickCheck(schema: TSchema, data: unknown): boolean {
  try {
    return Value.Check(schema, data);
  } catch {
    return false;
  }
}

export function createSchemaValidators(): SchemaValidators {
  // ajv, compiled on the first data that fails the quick check (per loader, never at module level).
  let ajv: SchemaValidators | undefined;
  const full = (): SchemaValidators => {
    ajv ??= createAjvValidators();
    return ajv;
  };
  return {
    mapping: (kind, data) => (quickCheck(MAPPING_SCHEMAS[kind], data) ? [] : full().mapping(kind, data)),
    gateway: (data) => (quickCheck(GatewayConfigSchema, data) ? [] : full().gateway(data)),
  };
}

/** The ajv stage alone (allErrors), compiled at once. Exported for the tests that compare both stages. */
export function createAjvValidators(): SchemaValidators {
  // ajv is CommonJS with `exports.default`, loaded only here: most processes never need it.
  const Ajv = (createRequire(import.meta.url)('ajv') as typeof AjvModule).default;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
  // TypeBox's `discriminator` hint is not a JSON Schema keyword; devices are dispatched by driver below.
  ajv.addKeyword('discriminator');
  const gatewayWithoutDevices = ajv.compile({
    ...GatewayConfigSchema,
    properties: { ...GatewayConfigSchema.properties, devices: { type: 'array' } },
  });
  const mappings: Record<MappingKind, ValidateFunction> = {
    modbus: ajv.compile(MAPPING_SCHEMAS.modbus),
    opcua: ajv.compile(MAPPING_SCHEMAS.opcua),
  };
  const deviceByDriver = new Map<string, ValidateFunction>(
    deviceAlternatives().map((schema) => [driverOf(schema), ajv.compile(schema)]),
  );
  return {
    mapping: (kind, data) => run(mappings[kind], data),
    gateway(data) {
      const issues = run(gatewayWithoutDevices, data);
      const devices =
        typeof data === 'object' && data !== null ? (data as { devices?: unknown }).devices : undefined;
      if (Array.isArray(devices)) {
        devices.forEach((device, index) => {
          issues.push(...validateDevice(device, pointerOf('devices', index), deviceByDriver));
        });
      }
      return issues;
    },
  };
}

function validateDevice(
  device: unknown,
  pointer: string,
  deviceByDriver: ReadonlyMap<string, ValidateFunction>,
): Issue[] {
  const drivers = [...deviceByDriver.keys()];
  if (typeof device !== 'object' || device === null || Array.isArray(device)) {
    return [{ pointer, message: `expected a device object with a "driver" (${drivers.join(', ')})` }];
  }
  const driver = (device as { driver?: unknown }).driver;
  if (driver === undefined) {
    return [{ pointer, message: `missing required property "driver": one of ${drivers.join(', ')}` }];
  }
  const validate = typeof driver === 'string' ? deviceByDriver.get(driver) : undefined;
  if (validate === undefined) {
    const hint = typeof driver === 'string' ? didYouMean(driver, drivers) : '';
    return [
      {
        pointer: `${pointer}/driver`,
        message: `unknown driver ${JSON.stringify(driver)}${hint}; known drivers: ${drivers.join(', ')}`,
      },
    ];
  }
  return run(validate, device).map((issue) => ({ ...issue, pointer: `${pointer}${issue.pointer}` }));
}

function run(validate: ValidateFunction, data: unknown): Issue[] {
  return validate(data) ? [] : describeSchemaErrors(validate.errors ?? [], { isSecret: isSecretRef });
}

/**
 * Type.Optional() clones a schema, so a secret reference is recognised by its alternatives: one-key
 * objects named like SecretRefSchema's (the OPC UA device schema restates them without descriptions).
 */
function isSecretRef(schema: Record<string, unknown>): boolean {
  const keysOf = (alternatives: unknown): string =>
    JSON.stringify(
      Array.isArray(alternatives)
        ? alternatives.map((a) => Object.keys((a as { properties?: object }).properties ?? {}))
        : null,
    );
  return Array.isArray(schema.anyOf) && keysOf(schema.anyOf) === keysOf(SecretRefSchema.anyOf);
}

/** TypeBox collapses a one-member union to the member itself, so both shapes are handled. */
function deviceAlternatives(): TSchema[] {
  const schema = DeviceSchema as TSchema;
  return Array.isArray(schema.anyOf) ? (schema.anyOf as TSchema[]) : [schema];
}

function driverOf(schema: TSchema): string {
  const driver = (schema.properties as Record<string, { const?: unknown }> | undefined)?.driver?.const;
  if (typeof driver !== 'string') throw new Error('every device schema needs a literal "driver" property');
  return driver;
}

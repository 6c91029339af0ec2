/**
 * Schema validation of a gateway config and of a mapping file against the TypeBox schemas, with ajv
 * (allErrors: every problem at once). Built per load, not cached at module level: compiling takes a few
 * milliseconds and a config is loaded once per process.
 *
 * Devices are validated one by one against the schema of their `driver`: a device with an unknown driver
 * gets a single "unknown driver" message, and a known driver's device gets only its own driver's errors,
 * never the noise of the other drivers' alternatives.
 */
import type { TSchema } from '@sinclair/typebox';
import AjvModule, { type ValidateFunction } from 'ajv';
import { OpcUaMappingSchema } from '../../mappings/opcua/schema.ts';
import { ModbusMappingSchema } from '../../mappings/schema.ts';
import type { MappingKind } from './mapping-kind.ts';
import { type Issue, pointerOf } from './problems.ts';
import { DeviceSchema, GatewayConfigSchema, SecretRefSchema } from './schema.ts';
import { describeSchemaErrors } from './schema-messages.ts';
import { didYouMean } from './suggest.ts';

// ajv is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const Ajv = AjvModule.default;

export interface SchemaValidators {
  gateway(data: unknown): Issue[];
  /** Against the mapping format of the protocol whose devices use the file. */
  mapping(kind: MappingKind, data: unknown): Issue[];
}

export function createSchemaValidators(): SchemaValidators {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
  // TypeBox's `discriminator` hint is not a JSON Schema keyword; devices are dispatched by driver below.
  ajv.addKeyword('discriminator');
  const gatewayWithoutDevices = ajv.compile({
    ...GatewayConfigSchema,
    properties: { ...GatewayConfigSchema.properties, devices: { type: 'array' } },
  });
  const mappings: Record<MappingKind, ValidateFunction> = {
    modbus: ajv.compile(ModbusMappingSchema),
    opcua: ajv.compile(OpcUaMappingSchema),
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

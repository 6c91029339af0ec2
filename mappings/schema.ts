/**
 * The tag-mapping file format for Modbus devices: the single source of truth.
 * The JSON Schema that editors use (mappings/modbus-mapping.schema.json) is generated from this file by
 * `npm run schemas`, and the TypeScript types below are derived from the same TypeBox definitions.
 */
import { type Static, Type } from '@sinclair/typebox';

export const MODBUS_AREAS = ['coil', 'discrete', 'holding', 'input'] as const;
export type ModbusArea = (typeof MODBUS_AREAS)[number];

export const DATA_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
  'bcd16',
  'bcd32',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

/**
 * Byte/word order, named by where the bytes A (most significant) … D land in the register stream.
 * The 4-letter names apply to every width (16-bit uses the first word's half: AB or BA); the 8-letter
 * 64-bit spellings are accepted as aliases and normalised at compile time.
 */
export const BYTE_ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;
export const BYTE_ORDER_ALIASES = {
  ABCDEFGH: 'ABCD',
  BADCFEHG: 'BADC',
  GHEFCDAB: 'CDAB',
  HGFEDCBA: 'DCBA',
} as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

export const ByteOrderSchema = Type.Union(
  [...BYTE_ORDERS, ...Object.keys(BYTE_ORDER_ALIASES)].map((o) => Type.Literal(o)),
  {
    description:
      'Byte/word order: ABCD = big-endian (Modbus standard), CDAB = word-swapped, BADC = byte-swapped, DCBA = little-endian. 64-bit spellings ABCDEFGH, GHEFCDAB, BADCFEHG, HGFEDCBA are accepted.',
  },
);

export const PublishModeSchema = Type.Union([Type.Literal('change'), Type.Literal('always')], {
  description: '"change": report by exception (with deadband and heartbeat); "always": publish every poll.',
});

export const PublishPolicySchema = Type.Object(
  {
    mode: Type.Optional(PublishModeSchema),
    deadband: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'Absolute deadband in engineering units: a numeric change smaller than this is not published.',
      }),
    ),
    heartbeatSeconds: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'Republish an unchanged value every N seconds (0 = never). Only with mode "change".',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PublishPolicy = Static<typeof PublishPolicySchema>;

/** A tag's name: unique within its device, and a single MQTT topic level. */
export const TagNameSchema = Type.String({
  minLength: 1,
  pattern: '^[^#+/\\s][^#+\\s]*$',
  description: 'Tag name, unique within the device; used in the MQTT topic (no spaces, "#" or "+").',
});

/** What every protocol's tags share (scaling, unit, publish policy), so both mapping formats feel the same. */
export const TagValueFields = {
  scale: Type.Optional(
    Type.Number({ description: 'Published value = raw × scale + offset (numeric values only).' }),
  ),
  offset: Type.Optional(Type.Number()),
  decimals: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 15,
      description: 'Round the published value to this many decimals.',
    }),
  ),
  unit: Type.Optional(Type.String({ description: 'Engineering unit, e.g. "°C", "bar", "m³/h".' })),
  publish: Type.Optional(PublishPolicySchema),
};

export const ModbusTagSchema = Type.Object(
  {
    name: TagNameSchema,
    description: Type.Optional(Type.String()),
    area: Type.Optional(
      Type.Union(
        MODBUS_AREAS.map((a) => Type.Literal(a)),
        { description: 'Modbus table: coil (FC1), discrete (FC2), holding (FC3), input (FC4).' },
      ),
    ),
    address: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description: 'Zero-based protocol offset within the area (register 40001 is holding address 0).',
      }),
    ),
    ref: Type.Optional(
      Type.String({
        pattern: '^[0134][0-9]{4,5}$',
        description:
          'Alternative to area+address: a one-based Modicon reference such as "40001" (holding 0), "30010" (input 9), "00001" (coil 0), "10001" (discrete 0); six digits ("400001") address up to 65536.',
      }),
    ),
    type: Type.Union(
      DATA_TYPES.map((t) => Type.Literal(t)),
      { description: 'Data type of the value in the device.' },
    ),
    bit: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 15,
        description: 'For type bool in a holding/input register: bit number, 0 = least significant.',
      }),
    ),
    length: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 125,
        description: 'For type string: number of registers (2 chars each).',
      }),
    ),
    encoding: Type.Optional(Type.Union([Type.Literal('ascii'), Type.Literal('utf8')], { default: 'ascii' })),
    byteSwap: Type.Optional(
      Type.Boolean({ description: 'For type string: swap the two bytes of each register (low byte first).' }),
    ),
    byteOrder: Type.Optional(ByteOrderSchema),
    ...TagValueFields,
    writable: Type.Optional(
      Type.Boolean({
        description: 'Allow writes to this tag (denied unless true). Coils and holding registers only.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ModbusTag = Static<typeof ModbusTagSchema>;

export const ModbusMappingSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    byteOrder: Type.Optional(ByteOrderSchema),
    publish: Type.Optional(PublishPolicySchema),
    tags: Type.Array(ModbusTagSchema, { minItems: 1 }),
  },
  {
    additionalProperties: false,
    $id: 'https://fieldbridge.dev/schemas/modbus-mapping.schema.json',
    title: 'fieldbridge Modbus tag mapping',
  },
);
export type ModbusMapping = Static<typeof ModbusMappingSchema>;

/**
 * The tag-mapping file format for OPC UA devices (issue 5). Tags live in groups; each group is acquired
 * one way: "subscription" (monitored items, the server pushes changes) or "poll" (one batched Read of
 * every tag of the group per poll interval). Publish policy, scale/offset/decimals and units work as in
 * Modbus mappings (mappings/schema.ts) so both protocols feel the same to an operator.
 */
import { type Static, Type } from '@sinclair/typebox';
import { PublishPolicySchema, TagNameSchema, TagValueFields } from '../schema.ts';

/**
 * Standard node id text (OPC UA Part 6, 5.3.1.10): `ns=2;s=Name`, `i=2258`, `ns=1;g=<guid>`, `ns=1;b=<base64>`,
 * or the namespace-URI form `nsu=urn:vendor:plc;s=Name`, resolved against the server's NamespaceArray at
 * every (re)connect so a server that reorders its namespaces cannot silently remap a tag.
 */
export const NodeIdTextSchema = Type.String({
  minLength: 3,
  pattern: '^((ns=[0-9]+|nsu=[^;]+);)?[isgb]=.+$',
  description:
    'Node id: "ns=2;s=Line1.Speed", "i=2258", "ns=3;g=<guid>", "ns=3;b=<base64>", or "nsu=<namespace URI>;s=..." (resolved at every connect).',
});

export const OpcUaTagSchema = Type.Object(
  {
    name: TagNameSchema,
    description: Type.Optional(Type.String()),
    nodeId: NodeIdTextSchema,
    ...TagValueFields,
  },
  { additionalProperties: false },
);
export type OpcUaTag = Static<typeof OpcUaTagSchema>;

export const DeadbandSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('absolute'), Type.Literal('percent')], {
      description:
        'absolute: in engineering units of the raw value; percent: of the EURange (servers support it for AnalogItems only).',
    }),
    value: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false, description: 'Server-side data-change deadband (OPC UA Part 4, 7.22.2).' },
);
export type Deadband = Static<typeof DeadbandSchema>;

const GroupCommon = {
  name: Type.String({ minLength: 1, description: 'Group name, for logs.' }),
  publish: Type.Optional(PublishPolicySchema),
  tags: Type.Array(OpcUaTagSchema, { minItems: 1 }),
};

export const SubscriptionGroupSchema = Type.Object(
  {
    ...GroupCommon,
    mode: Type.Literal('subscription'),
    publishingIntervalMs: Type.Optional(
      Type.Integer({ minimum: 10, description: 'How often the server sends notifications. Default 1000.' }),
    ),
    samplingIntervalMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'How often the server samples each item (0 = fastest). Default: the publishing interval.',
      }),
    ),
    queueSize: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10000,
        description: 'Values queued per item between publishes. Default 1.',
      }),
    ),
    deadband: Type.Optional(DeadbandSchema),
  },
  { additionalProperties: false },
);

export const PollGroupSchema = Type.Object(
  {
    ...GroupCommon,
    mode: Type.Literal('poll'),
    pollIntervalMs: Type.Optional(
      Type.Integer({ minimum: 10, description: "Default: the device's pollIntervalMs (1000)." }),
    ),
  },
  { additionalProperties: false },
);

export const OpcUaGroupSchema = Type.Union([SubscriptionGroupSchema, PollGroupSchema], {
  discriminator: 'mode',
});
export type OpcUaGroup = Static<typeof OpcUaGroupSchema>;

export const OpcUaMappingSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    publish: Type.Optional(PublishPolicySchema),
    groups: Type.Array(OpcUaGroupSchema, { minItems: 1 }),
  },
  {
    additionalProperties: false,
    $id: 'https://fieldbridge.dev/schemas/opcua-mapping.schema.json',
    title: 'fieldbridge OPC UA tag mapping',
  },
);
export type OpcUaMapping = Static<typeof OpcUaMappingSchema>;

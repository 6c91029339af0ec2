/**
 * Schema pieces that every device driver's config shares. In a module of their own so that per-driver
 * device schemas (e.g. mappings/opcua/device-schema.ts) can use them while gateway/config/schema.ts
 * imports those device schemas into its union: no import cycle between modules that build schemas at load.
 */
import { type Static, Type } from '@sinclair/typebox';
import { PublishPolicySchema } from './schema.ts';

/** A secret never sits inline in the config: it comes from an environment variable, a file, or a systemd credential. */
export const SecretRefSchema = Type.Union(
  [
    Type.Object(
      { env: Type.String({ minLength: 1, description: 'Name of an environment variable.' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        file: Type.String({
          minLength: 1,
          description: 'Path of a file holding the secret (trailing newline trimmed).',
        }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        credential: Type.String({
          minLength: 1,
          description: 'Name of a systemd credential (LoadCredential=), read from $CREDENTIALS_DIRECTORY.',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Where to read a secret from: {"env": NAME}, {"file": PATH} or {"credential": NAME}.' },
);
export type SecretRef = Static<typeof SecretRefSchema>;

/** Fields every device has, whatever its driver. */
export const DeviceCommonFields = {
  name: Type.String({
    minLength: 1,
    pattern: '^[A-Za-z0-9_.-]+$',
    description: 'Device name, unique; used in topics and logs.',
  }),
  description: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
  mapping: Type.String({ minLength: 1, description: 'Tag-mapping file, relative to this config file.' }),
  pollIntervalMs: Type.Optional(Type.Integer({ minimum: 10, description: 'Default 1000.' })),
  staleAfterMs: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'Tags become "stale" when no good read for this long. Default 3 × poll interval + timeout.',
    }),
  ),
  publish: Type.Optional(PublishPolicySchema),
  batch: Type.Optional(
    Type.Boolean({
      description: 'One message per poll with every tag that changed, instead of one per tag.',
    }),
  ),
};

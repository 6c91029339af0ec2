/**
 * The `driver: "opcua"` entry of the gateway config's `devices` (issue 5), in the style of
 * ModbusTcpDeviceSchema. The fields every device has come from mappings/device-common-schema.ts (not from
 * gateway/config/schema.ts, which imports this file into its device union).
 */
import { type Static, Type } from '@sinclair/typebox';
import { DeviceCommonFields, SecretRefSchema } from '../device-common-schema.ts';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];

/** Policies that are current in OPC UA 1.05 (Part 7). */
export const SECURITY_POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
/** SHA-1 based policies, deprecated by the OPC Foundation: refused unless allowDeprecatedSecurity is true. */
export const DEPRECATED_SECURITY_POLICIES = ['Basic128Rsa15', 'Basic256'] as const;
export type SecurityPolicyName =
  | (typeof SECURITY_POLICIES)[number]
  | (typeof DEPRECATED_SECURITY_POLICIES)[number];

export const OpcUaUserNameSchema = Type.Object(
  {
    username: Type.String({ minLength: 1 }),
    password: SecretRefSchema,
  },
  { additionalProperties: false, description: 'User name identity.' },
);

export const OpcUaUserCertificateSchema = Type.Object(
  {
    certificate: Type.String({
      minLength: 1,
      description: 'PEM file of the X.509 user certificate, relative to this config file.',
    }),
    privateKey: Type.String({
      minLength: 1,
      description: 'PEM file of its RSA private key, relative to this config file.',
    }),
    passphrase: Type.Optional(SecretRefSchema),
  },
  {
    additionalProperties: false,
    description: 'X.509 user identity: the session is activated with this certificate, signed with its key.',
  },
);

export const OpcUaUserSchema = Type.Union([OpcUaUserNameSchema, OpcUaUserCertificateSchema], {
  description:
    'User identity: {"username", "password"} or an X.509 user certificate {"certificate", "privateKey", "passphrase"?}. Without "user" the session is anonymous.',
});
export type OpcUaUserConfig = Static<typeof OpcUaUserSchema>;

export const OpcUaDeviceSchema = Type.Object(
  {
    ...DeviceCommonFields,
    driver: Type.Literal('opcua'),
    endpoint: Type.String({
      pattern: '^opc\\.tcp://',
      description: 'Server endpoint URL, e.g. opc.tcp://plc.local:4840.',
    }),
    securityMode: Type.Optional(
      Type.Union(
        SECURITY_MODES.map((m) => Type.Literal(m)),
        { description: 'Default "SignAndEncrypt". "None" needs allowInsecure: true.' },
      ),
    ),
    securityPolicy: Type.Optional(
      Type.Union(
        [...SECURITY_POLICIES, ...DEPRECATED_SECURITY_POLICIES].map((p) => Type.Literal(p)),
        {
          description:
            'Default "Basic256Sha256". Basic128Rsa15 and Basic256 are deprecated (SHA-1) and need allowDeprecatedSecurity: true.',
        },
      ),
    ),
    allowInsecure: Type.Optional(
      Type.Boolean({
        description: 'Required (true) for securityMode "None": traffic is neither signed nor encrypted.',
      }),
    ),
    allowDeprecatedSecurity: Type.Optional(
      Type.Boolean({ description: 'Permit the deprecated policies Basic128Rsa15 and Basic256.' }),
    ),
    user: Type.Optional(OpcUaUserSchema),
    applicationUri: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Application URI of this client (put into its certificate). Default "urn:<host>:fieldbridge".',
      }),
    ),
    pollIntervalMs: Type.Optional(
      Type.Integer({
        minimum: 10,
        description: 'Default 1000; poll groups without their own interval use it.',
      }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 600000, description: 'Per-request timeout. Default 5000.' }),
    ),
    sessionTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1000,
        maximum: 3600000,
        description:
          'Session timeout asked of the server: how long it keeps the session (and so the subscriptions) of a client it cannot reach. Default 6 × timeoutMs, at least 10000.',
      }),
    ),
    batch: Type.Optional(
      Type.Boolean({ description: 'One message per notification/poll with every tag that changed.' }),
    ),
    useSourceTimestamp: Type.Optional(
      Type.Boolean({
        description: "Stamp values with the server's source timestamp when it sends one. Default true.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type OpcUaDeviceConfig = Static<typeof OpcUaDeviceSchema>;

export interface DeviceProblem {
  /** JSON pointer relative to the device object, e.g. "/securityMode". */
  readonly pointer: string;
  readonly message: string;
}

/**
 * Cross-field rules that JSON Schema would express poorly: insecure and deprecated security must be
 * asked for explicitly. Pure; the config loader can call it after schema validation.
 */
export function opcUaDeviceProblems(device: OpcUaDeviceConfig): DeviceProblem[] {
  const problems: DeviceProblem[] = [];
  const mode = device.securityMode ?? 'SignAndEncrypt';
  if (mode === 'None' && device.allowInsecure !== true) {
    problems.push({
      pointer: '/securityMode',
      message: `device "${device.name}": securityMode "None" sends everything unsigned and unencrypted; set "allowInsecure": true to accept that`,
    });
  }
  const policy = device.securityPolicy ?? 'Basic256Sha256';
  if (
    (DEPRECATED_SECURITY_POLICIES as readonly string[]).includes(policy) &&
    device.allowDeprecatedSecurity !== true
  ) {
    problems.push({
      pointer: '/securityPolicy',
      message: `device "${device.name}": securityPolicy "${policy}" is deprecated (SHA-1); use ${SECURITY_POLICIES.join(', ')} or set "allowDeprecatedSecurity": true`,
    });
  }
  return problems;
}

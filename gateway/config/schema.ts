/**
 * The gateway configuration file format: the single source of truth.
 * `npm run schemas` writes gateway/config/gateway.schema.json from it for editors (`$schema`), and the
 * TypeScript types are derived from the same definitions.
 */
import { type Static, Type } from '@sinclair/typebox';
import { DeviceCommonFields, SecretRefSchema } from '../../mappings/device-common-schema.ts';
import { OpcUaDeviceSchema } from '../../mappings/opcua/device-schema.ts';
import { ByteOrderSchema } from '../../mappings/schema.ts';

export { type SecretRef, SecretRefSchema } from '../../mappings/device-common-schema.ts';

export const TlsSchema = Type.Object(
  {
    ca: Type.Optional(
      Type.String({
        description:
          'CA certificate file (PEM) that signs the broker certificate. Default: the system trust store.',
      }),
    ),
    cert: Type.Optional(Type.String({ description: 'Client certificate file (PEM) for mutual TLS.' })),
    key: Type.Optional(Type.String({ description: 'Client private key file (PEM) for mutual TLS.' })),
    passphrase: Type.Optional(SecretRefSchema),
    servername: Type.Optional(
      Type.String({
        description: 'Server name (SNI and certificate check) when it differs from the URL host.',
      }),
    ),
    minVersion: Type.Optional(
      Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2' }),
    ),
    insecureSkipVerify: Type.Optional(
      Type.Boolean({
        description: 'DANGEROUS: accept any broker certificate. Logged loudly at every start. Default false.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const MqttSchema = Type.Object(
  {
    url: Type.String({
      pattern: '^(mqtts?|wss?)://',
      description: 'Broker URL, e.g. mqtts://broker.example.com:8883.',
    }),
    protocolVersion: Type.Optional(
      Type.Union([Type.Literal(5), Type.Literal(4)], {
        description: '5 = MQTT 5 (default), 4 = MQTT 3.1.1.',
      }),
    ),
    clientId: Type.Optional(
      Type.String({ minLength: 1, description: 'Default: "fieldbridge-<gateway id>".' }),
    ),
    username: Type.Optional(Type.String()),
    password: Type.Optional(SecretRefSchema),
    tls: Type.Optional(TlsSchema),
    topicPrefix: Type.Optional(Type.String({ description: 'Default "fieldbridge".' })),
    topicTemplate: Type.Optional(
      Type.String({
        description:
          'Topic for per-tag messages. Placeholders {prefix} {gateway} {device} {tag}. Default "{prefix}/{device}/{tag}".',
      }),
    ),
    batchTopicTemplate: Type.Optional(
      Type.String({
        description:
          'Topic for per-device batch messages. Placeholders {prefix} {gateway} {device}. Default "{prefix}/{device}".',
      }),
    ),
    statusTopic: Type.Optional(
      Type.String({
        description:
          'Retained online/offline topic (birth and last will). Default "{prefix}/{gateway}/status".',
      }),
    ),
    keepaliveSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    inflight: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'Unacknowledged QoS 1 messages in flight (default 100).',
      }),
    ),
    publishTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        description: 'A PUBACK not received in this time counts as lost and is resent.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type MqttConfig = Static<typeof MqttSchema>;

export const QueueSchema = Type.Object(
  {
    type: Type.Optional(
      Type.Union([Type.Literal('level'), Type.Literal('memory')], {
        description: '"level" (on disk, default) or "memory" (lost on restart; tests and demos only).',
      }),
    ),
    dir: Type.Optional(Type.String({ description: 'Queue directory. Default "<stateDir>/queue".' })),
    maxBytes: Type.Optional(
      Type.Integer({
        minimum: 1024,
        description: 'Disk bound; oldest messages are dropped beyond it. Default 1 GiB.',
      }),
    ),
    maxAgeSeconds: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Optional age bound: older messages are dropped.' }),
    ),
    sync: Type.Optional(
      Type.Boolean({
        description: 'fsync every group commit (no loss on power failure, slower). Default false.',
      }),
    ),
    flushIntervalMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10000,
        description:
          'Group-commit window in ms. Default 0: write as soon as the writer is free; appends arriving during a write join the next batch.',
      }),
    ),
    maxPendingBytes: Type.Optional(
      Type.Integer({
        minimum: 65536,
        description:
          "Bound on the memory of messages accepted and not yet written (stored size + 640 bytes each): what a stalled disk can cost. Beyond it a poll's messages are refused and counted as not queued (reason back_pressure). Default 64 MiB (67108864).",
      }),
    ),
    replayRatePerSecond: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Cap on historical (backlog) messages per second so live data keeps flowing.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type QueueConfig = Static<typeof QueueSchema>;

const ModbusCommon = {
  unitId: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 255, description: 'Modbus unit (slave) id. Default 1.' }),
  ),
  timeoutMs: Type.Optional(
    Type.Integer({ minimum: 10, maximum: 60000, description: 'Per-request timeout. Default 1000.' }),
  ),
  byteOrder: Type.Optional(ByteOrderSchema),
  maxGap: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 124,
      description: 'Merge reads across gaps of up to this many unused registers (default 10; bits: ×16).',
    }),
  ),
  maxRegistersPerRead: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 125,
      description: 'Default 125 (the protocol limit). Some devices need less.',
    }),
  ),
  maxBitsPerRead: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 2000, description: 'Default 2000 (the protocol limit).' }),
  ),
};

export const ModbusTcpDeviceSchema = Type.Object(
  {
    ...DeviceCommonFields,
    driver: Type.Literal('modbus-tcp'),
    host: Type.String({ minLength: 1 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Default 502.' })),
    ...ModbusCommon,
  },
  { additionalProperties: false },
);
export type ModbusTcpDeviceConfig = Static<typeof ModbusTcpDeviceSchema>;

/** RTU on a line (issue 4): serial, or a serial server's TCP port. See docs/modbus-rtu.md. */
const ModbusRtuCommon = {
  ...ModbusCommon,
  unitId: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 247, description: 'RTU unit (slave) address, 1..247. Default 1.' }),
  ),
  interFrameDelayMs: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 1000,
      description:
        'Silence before each request. Default 3.5 character times (1.75 ms above 19200 baud) on serial lines, 1.75 ms over TCP.',
    }),
  ),
  lateReplyGuardMs: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 60000,
      description:
        'After a timeout, wait this long (discarding what arrives) before the next request, so a late reply is never taken for the next one. Default: the timeout.',
    }),
  ),
};

export const ModbusRtuDeviceSchema = Type.Object(
  {
    ...DeviceCommonFields,
    driver: Type.Literal('modbus-rtu'),
    port: Type.String({
      minLength: 1,
      description:
        'Serial port, preferably its stable name: /dev/serial/by-id/usb-…-port0 (else /dev/ttyUSB0). Devices with the same port share the line.',
    }),
    baudRate: Type.Optional(
      Type.Integer({ minimum: 300, maximum: 4000000, description: 'Default 19200 (the Modbus default).' }),
    ),
    dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)], { description: 'Default 8.' })),
    parity: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], {
        description: 'Default "even" (the Modbus default).',
      }),
    ),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)], { description: 'Default 1.' })),
    ...ModbusRtuCommon,
  },
  { additionalProperties: false },
);
export type ModbusRtuDeviceConfig = Static<typeof ModbusRtuDeviceSchema>;

export const ModbusRtuTcpDeviceSchema = Type.Object(
  {
    ...DeviceCommonFields,
    driver: Type.Literal('modbus-rtu-tcp'),
    host: Type.String({ minLength: 1, description: 'Serial server (RTU framing over TCP).' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'The serial server port of the line.' }),
    ...ModbusRtuCommon,
  },
  { additionalProperties: false },
);
export type ModbusRtuTcpDeviceConfig = Static<typeof ModbusRtuTcpDeviceSchema>;
export type ModbusDeviceConfig = ModbusTcpDeviceConfig | ModbusRtuDeviceConfig | ModbusRtuTcpDeviceConfig;

export const DeviceSchema = Type.Union(
  [ModbusTcpDeviceSchema, ModbusRtuDeviceSchema, ModbusRtuTcpDeviceSchema, OpcUaDeviceSchema],
  {
    discriminator: 'driver',
  },
);
export type DeviceConfig = Static<typeof DeviceSchema>;

export const HttpSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        description: 'Serve /healthz, /readyz, /metrics, /api/status and the status page. Default true.',
      }),
    ),
    host: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Address to listen on. Default "127.0.0.1". Any other than loopback needs "token" or "username"+"password".',
      }),
    ),
    port: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description: 'TCP port. Default 9810 (0 = any free port).',
      }),
    ),
    token: Type.Optional(SecretRefSchema),
    username: Type.Optional(Type.String({ minLength: 1, description: 'Basic auth user (with "password").' })),
    password: Type.Optional(SecretRefSchema),
  },
  { additionalProperties: false, description: 'The health, metrics and status HTTP server (issue 6).' },
);
export type HttpConfig = Static<typeof HttpSchema>;

export const GatewayConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    gateway: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(
            Type.String({
              minLength: 1,
              pattern: '^[A-Za-z0-9_.-]+$',
              description: 'Gateway id; default the host name.',
            }),
          ),
          stateDir: Type.Optional(
            Type.String({
              description: 'Where the queue and certificates live. Default $STATE_DIRECTORY or ./state.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    log: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(
            Type.Union(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => Type.Literal(l))),
          ),
          pretty: Type.Optional(
            Type.Boolean({ description: 'Human-readable logs (default: when stdout is a terminal).' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    mqtt: MqttSchema,
    queue: Type.Optional(QueueSchema),
    http: Type.Optional(HttpSchema),
    devices: Type.Array(DeviceSchema),
  },
  {
    additionalProperties: false,
    $id: 'https://fieldbridge.dev/schemas/gateway.schema.json',
    title: 'fieldbridge gateway configuration',
  },
);
export type GatewayConfig = Static<typeof GatewayConfigSchema>;

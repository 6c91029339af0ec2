/**
 * Checks on the gateway config that a JSON Schema cannot express. Pure, no I/O; each works on data that
 * may have failed the schema elsewhere, so it reads fields defensively and checks only what it can.
 */
import { isBitArea } from '../../mappings/modbus/types-info.ts';
import { redactUrls } from '../publisher/redact-url.ts';
import type { PlacedTag } from './mapping-checks.ts';
import { type Issue, pointerOf } from './problems.ts';

export interface Checked {
  readonly errors: Issue[];
  readonly warnings: Issue[];
}

export function checkGateway(config: unknown): Checked {
  const errors: Issue[] = [...checkDuplicateDevices(field(config, 'devices'))];
  const warnings: Issue[] = [];
  const mqtt = field(config, 'mqtt');
  const url = field(mqtt, 'url');
  const tls = field(mqtt, 'tls');
  if (typeof url === 'string') {
    const checked = checkBrokerUrl(url, tls !== undefined);
    errors.push(...checked.errors);
    warnings.push(...checked.warnings);
  }
  if (field(mqtt, 'protocolVersion') === 4) {
    warnings.push({
      pointer: '/mqtt/protocolVersion',
      message:
        'MQTT 3.1.1 cannot tell the gateway that a publish was refused: a broker that denies a message (e.g. by ' +
        'its ACL) acknowledges it all the same (Mosquitto does), so the gateway counts it as delivered, removes it ' +
        'and nothing reports the loss; with protocolVersion 5 (the default) refusals are counted as "rejected" ' +
        'and logged (docs/delivery.md)',
    });
  }
  if (field(tls, 'insecureSkipVerify') === true) {
    warnings.push({
      pointer: '/mqtt/tls/insecureSkipVerify',
      message: 'the broker certificate is not checked: anyone on the network path can impersonate the broker',
    });
  }
  const hasCert = typeof field(tls, 'cert') === 'string';
  const hasKey = typeof field(tls, 'key') === 'string';
  if (hasCert !== hasKey) {
    errors.push({
      pointer: hasCert ? '/mqtt/tls/cert' : '/mqtt/tls/key',
      message: 'mutual TLS needs both "cert" and "key"',
    });
  }
  return { errors, warnings };
}

function checkDuplicateDevices(devices: unknown): Issue[] {
  if (!Array.isArray(devices)) return [];
  const firstIndex = new Map<string, number>();
  const issues: Issue[] = [];
  devices.forEach((device: unknown, index) => {
    const name = field(device, 'name');
    if (typeof name !== 'string') return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, index);
    else {
      issues.push({
        pointer: pointerOf('devices', index, 'name'),
        message: `duplicate device name "${name}": already used by devices[${first}]; device names must be unique`,
      });
    }
  });
  return issues;
}

function checkBrokerUrl(url: string, hasTls: boolean): Checked {
  const pointer = '/mqtt/url';
  // Messages quote the URL only with its password masked: a refused config is printed too.
  const shown = redactUrls(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { errors: [{ pointer, message: `"${shown}" is not a valid URL` }], warnings: [] };
  }
  if (parsed.password !== '') {
    const message =
      'a password in the URL would be printed wherever the URL is (logs, errors, status page): ' +
      'remove "user:password@" from mqtt.url and set mqtt.username and mqtt.password ' +
      '(a secret reference such as {"env": "MQTT_PASSWORD"} or {"credential": "mqtt-password"})';
    return { errors: [{ pointer, message }], warnings: [] };
  }
  if (parsed.hostname === '')
    return { errors: [{ pointer, message: `"${shown}" names no broker host` }], warnings: [] };
  const plain = parsed.protocol === 'mqtt:' || parsed.protocol === 'ws:';
  const warnings: Issue[] = [];
  if (plain && !isLoopback(parsed.hostname)) {
    const secure = parsed.protocol === 'mqtt:' ? 'mqtts://' : 'wss://';
    warnings.push({
      pointer,
      message: `${parsed.protocol}// to ${parsed.hostname}: credentials and data unencrypted on the network; use ${secure}`,
    });
  }
  if (plain && hasTls) {
    warnings.push({
      pointer: '/mqtt/tls',
      message: `"tls" is ignored with ${parsed.protocol}//; use mqtts:// or wss://`,
    });
  }
  return { errors: [], warnings };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * A tag bigger than the device's read limit could never be read (a value cannot span two requests);
 * reported at the device's limit, which is the thing to change.
 */
export function checkReadLimits(
  device: unknown,
  devicePointer: string,
  mappingName: string,
  placed: readonly PlacedTag[],
): Issue[] {
  const maxRegisters = field(device, 'maxRegistersPerRead');
  if (typeof maxRegisters !== 'number') return [];
  const tooBig = placed.find((p) => !isBitArea(p.area) && p.count > maxRegisters);
  if (tooBig === undefined) return [];
  return [
    {
      pointer: `${devicePointer}/maxRegistersPerRead`,
      message:
        `tag "${tooBig.tag.name}" (tags[${tooBig.index}] in ${mappingName}) needs ${tooBig.count} registers ` +
        `in one read, more than maxRegistersPerRead ${maxRegisters}`,
    },
  ];
}

/** `value[key]` when value is a plain object, else undefined. */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * The OPC UA DevicePlugin (issue 5): compiles the mapping, resolves the user password, and builds the
 * driver. node-opcua itself is loaded by the driver's start(), so importing this file stays cheap.
 *
 * Unlike Modbus, OPC UA needs the gateway's state directory (for its certificate store), so it uses the
 * plugin context (DeviceContext): `compile(device, mapping, log, context)`; without one, it falls
 * back to the gateway's own rule ($STATE_DIRECTORY, else ./state).
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createOpcUaDriver } from '../../drivers/opcua/driver.ts';
import type { OpcUaDriverOptions, OpcUaUserIdentity } from '../../drivers/opcua/options.ts';
import { compileOpcUaMapping } from '../../mappings/opcua/compile.ts';
import { type OpcUaDeviceConfig, opcUaDeviceProblems } from '../../mappings/opcua/device-schema.ts';
import type { OpcUaMapping } from '../../mappings/opcua/schema.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { DevicePlugin } from './device-plugin.ts';

export const DEFAULT_TIMEOUT_MS = 5000;

export const opcUaPlugin: DevicePlugin<OpcUaDeviceConfig, OpcUaMapping> = {
  compile(device, mapping, log, context) {
    const problems = opcUaDeviceProblems(device);
    if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '));
    const env = context?.env ?? process.env;
    // The PKI goes to <stateDir>/opcua/pki.
    const stateDir = context?.stateDir ?? env.STATE_DIRECTORY?.split(':')[0] ?? resolve('state');
    const compiled = compileOpcUaMapping(mapping, device);
    const user = resolveUser(device, env, context?.credentialsDir ?? env.CREDENTIALS_DIRECTORY);
    const timeoutMs = device.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const options: OpcUaDriverOptions = {
      device: device.name,
      endpoint: device.endpoint,
      securityMode: device.securityMode ?? 'SignAndEncrypt',
      securityPolicy: device.securityPolicy ?? 'Basic256Sha256',
      user,
      applicationUri: device.applicationUri ?? `urn:${hostname()}:fieldbridge`,
      stateDir,
      tags: compiled.tags,
      groups: compiled.groups,
      timeoutMs,
      sessionTimeoutMs: device.sessionTimeoutMs,
      log,
    };
    const slowest = Math.max(
      ...compiled.groups.map((g) => (g.mode === 'poll' ? g.pollIntervalMs : g.publishingIntervalMs)),
    );
    return {
      tags: compiled.tags,
      defaultStaleAfterMs: 3 * slowest + timeoutMs,
      createDriver: (events) =>
        createOpcUaDriver(options, {
          onReading: (reading) => events.onSamples(compiled.decode(reading), reading.ts),
          onConnectionState: (state, reason) => events.onConnectionState(state, reason),
        }),
    };
  },
};

/** Resolves the secrets of the user identity; the certificate files themselves are read at connect. */
function resolveUser(
  device: OpcUaDeviceConfig,
  env: NodeJS.ProcessEnv,
  credentialsDir: string | undefined,
): OpcUaUserIdentity | undefined {
  const { user } = device;
  if (user === undefined) return undefined;
  if ('username' in user) {
    return {
      kind: 'username',
      username: user.username,
      password: resolveSecret(
        user.password,
        `OPC UA password of device "${device.name}"`,
        env,
        credentialsDir,
      ),
    };
  }
  return {
    kind: 'certificate',
    certificateFile: user.certificate,
    privateKeyFile: user.privateKey,
    passphrase:
      user.passphrase === undefined
        ? undefined
        : resolveSecret(
            user.passphrase,
            `passphrase of the OPC UA user key of device "${device.name}"`,
            env,
            credentialsDir,
          ),
  };
}

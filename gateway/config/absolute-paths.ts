/**
 * Relative paths in a config are relative to the file that names them, not to the working directory
 * (a systemd service and a shell rarely share one). This makes every path absolute once, at load.
 */
import { resolve } from 'node:path';
import type { GatewayConfig, SecretRef } from './schema.ts';

export function absoluteConfigPaths(config: GatewayConfig, baseDir: string): GatewayConfig {
  const abs = (path: string | undefined) => (path === undefined ? undefined : resolve(baseDir, path));
  const secret = (ref: SecretRef | undefined) =>
    ref !== undefined && 'file' in ref ? { file: resolve(baseDir, ref.file) } : ref;
  const { gateway, mqtt, queue } = config;
  const tls = mqtt.tls;
  return {
    ...config,
    ...(gateway !== undefined && { gateway: defined({ ...gateway, stateDir: abs(gateway.stateDir) }) }),
    mqtt: defined({
      ...mqtt,
      password: secret(mqtt.password),
      tls:
        tls === undefined
          ? undefined
          : defined({
              ...tls,
              ca: abs(tls.ca),
              cert: abs(tls.cert),
              key: abs(tls.key),
              passphrase: secret(tls.passphrase),
            }),
    }),
    ...(queue !== undefined && { queue: defined({ ...queue, dir: abs(queue.dir) }) }),
    devices: config.devices.map((device) => ({
      ...device,
      mapping: resolve(baseDir, device.mapping),
      ...(device.driver === 'opcua' &&
        device.user !== undefined && {
          user:
            'password' in device.user
              ? { ...device.user, password: secret(device.user.password) as SecretRef }
              : defined({
                  ...device.user,
                  certificate: resolve(baseDir, device.user.certificate),
                  privateKey: resolve(baseDir, device.user.privateKey),
                  passphrase: secret(device.user.passphrase),
                }),
        }),
    })),
  };
}

/** Drops keys whose value is undefined, so the result has the same keys as the input. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

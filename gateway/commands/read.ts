/**
 * `fieldbridge read <config> <device>`: one reading of every tag of one device, decoded through its
 * mapping and printed as a table. Commissioning without a broker: nothing is queued or published.
 *
 * A Modbus poll reads every tag at once; an OPC UA device reports its groups separately (each poll group
 * and each subscription's first notification), so readings are merged until every tag has a sample or
 * the time is up. The device gets the same context as under `run` (state dir, credentials), so the OPC UA
 * trust list made for the gateway is the one used here.
 */
import type { TagSample } from '../../core/sample.ts';
import type { Output } from '../cli.ts';
import { loadConfig } from '../config/load.ts';
import { formatProblems } from '../config/problems.ts';
import { instantiate } from '../devices/device-plugin.ts';
import { DEFAULT_TIMEOUT_MS as OPCUA_DEFAULT_TIMEOUT_MS } from '../devices/opcua.ts';
import { compileDevice } from '../devices/registry.ts';
import { resolveStateDir } from '../gateway.ts';
import { createLogger } from '../log.ts';
import { table } from './first-event.ts';

export async function runRead(
  configPath: string,
  deviceName: string,
  out: Output,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const result = await loadConfig(configPath);
  if (!result.ok) {
    for (const line of formatProblems(result.problems)) out.error(line);
    return 1;
  }
  const device = result.config.devices.find((d) => d.config.name === deviceName);
  if (device === undefined) {
    const names = result.config.devices.map((d) => d.config.name).join(', ');
    out.error(`fieldbridge read: no device "${deviceName}" in ${configPath} (devices: ${names || 'none'})`);
    return 1;
  }
  const log = createLogger({ level: 'error', stderr: true });
  // The driver's own default request timeout: an OPC UA connect (secure channel, RSA, maybe the first
  // certificate) takes seconds where a Modbus poll takes milliseconds.
  const driverTimeoutMs = device.config.driver === 'opcua' ? OPCUA_DEFAULT_TIMEOUT_MS : 1000;
  const timeoutMs = 3 * (device.config.timeoutMs ?? driverTimeoutMs) + 2000;
  const context = {
    stateDir: resolveStateDir(result.config.config, env),
    env,
    credentialsDir: env.CREDENTIALS_DIRECTORY,
  };
  let lastState = '';
  let complete: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    complete = resolve;
  });
  const compiled = await compileDevice(device, log, context);
  const latest: (TagSample | undefined)[] = compiled.tags.map(() => undefined);
  const instance = instantiate(compiled, {
    onSamples: (reading) => {
      reading.forEach((sample, i) => {
        if (sample !== undefined) latest[i] = sample;
      });
      if (latest.every((s) => s !== undefined)) complete();
    },
    onConnectionState: (state, reason) => {
      lastState = reason === undefined ? state : `${state}: ${reason}`;
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await instance.driver.start();
    await Promise.race([done, timeout]);
  } catch (error) {
    out.error(`fieldbridge read: device ${deviceName}: ${(error as Error).message}`);
    return 1;
  } finally {
    clearTimeout(timer);
    await instance.driver.stop().catch(() => undefined);
  }
  if (latest.every((s) => s === undefined)) {
    const why = lastState === '' ? '' : ` (last state: ${lastState})`;
    out.error(`fieldbridge read: device ${deviceName}: no answer within ${timeoutMs} ms${why}`);
    return 1;
  }
  const rows = instance.tags.map((tag, i) => {
    const s = latest[i];
    if (s === undefined) return [tag.name, '—', tag.unit ?? '', 'unread', `no value within ${timeoutMs} ms`];
    return [tag.name, formatValue(s.value), tag.unit ?? '', s.quality, s.error ?? ''];
  });
  for (const line of table([['TAG', 'VALUE', 'UNIT', 'QUALITY', 'ERROR'], ...rows])) out.log(line);
  return latest.every((s) => s?.quality === 'good') ? 0 : 1;
}

/** As JSON, so a 64-bit decimal string reads as the string it is ("18446744073709551615"). */
function formatValue(value: TagSample['value']): string {
  return value === null ? '—' : JSON.stringify(value);
}

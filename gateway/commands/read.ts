/**
 * `fieldbridge read <config> <device>`: one poll of one device, decoded through its mapping and printed
 * as a table. Commissioning without a broker: nothing is queued or published.
 */
import type { TagSample } from '../../mappings/sample.ts';
import type { Output } from '../cli.ts';
import { loadConfig } from '../config/load.ts';
import { formatProblems } from '../config/problems.ts';
import { loadDevicePlugin } from '../devices/registry.ts';
import { createLogger } from '../log.ts';
import { firstEvent, table } from './first-event.ts';

export async function runRead(configPath: string, deviceName: string, out: Output): Promise<number> {
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
  const plugin = await loadDevicePlugin(device.config);
  const timeoutMs = 3 * (device.config.timeoutMs ?? 1000) + 2000;
  let tagUnits: (string | undefined)[] = [];
  const samples = await firstEvent<readonly TagSample[]>(
    `device ${deviceName}`,
    timeoutMs,
    async (report) => {
      const instance = plugin.create(device.config, device.mapping, log, {
        onSamples: (s) => report(s),
        onConnectionState: () => {},
      });
      tagUnits = instance.tags.map((t) => t.unit);
      await instance.driver.start();
      return instance.driver;
    },
  ).catch((error: Error) => error);
  if (samples instanceof Error) {
    out.error(`fieldbridge read: ${samples.message}`);
    return 1;
  }
  const rows = samples.map((s, i) => [
    s.tag,
    s.value === null ? '—' : typeof s.value === 'string' ? s.value : JSON.stringify(s.value),
    tagUnits[i] ?? '',
    s.quality,
    s.error ?? '',
  ]);
  for (const line of table([['TAG', 'VALUE', 'UNIT', 'QUALITY', 'ERROR'], ...rows])) out.log(line);
  return samples.every((s) => s.quality === 'good') ? 0 : 1;
}

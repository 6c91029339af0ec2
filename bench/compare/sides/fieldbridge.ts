/**
 * The fieldbridge side: a gateway config and mapping files generated from the workload, run as
 * `node <flags> bin/fieldbridge.mjs run <config>` with the node flags of the systemd unit's ExecStart —
 * exactly what the service runs (the launcher adds its own defaults, as for every user).
 *
 * Block mode uses one fieldbridge device per 125-register block (`batch: true`, a mapping with the
 * block's 125 uint16 tags): fieldbridge's batch mode makes one message per device poll, so a block per
 * device is how it makes "one message per 125 registers". Each such device has its own TCP connection.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLOCK_REGISTERS, deviceName, TOPIC_PREFIX } from '../workload.ts';
import { spawnSide } from './process.ts';
import type { PreparedSide, SideSetup } from './side.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ALWAYS = { mode: 'always' } as const;

function blockMapping(block: number): unknown {
  const base = block * BLOCK_REGISTERS;
  return {
    publish: ALWAYS,
    tags: Array.from({ length: BLOCK_REGISTERS }, (_, i) => ({
      name: `r${i}`,
      area: 'holding',
      address: base + i,
      type: 'uint16',
    })),
  };
}

function perTagMapping(tags: number): unknown {
  return {
    publish: ALWAYS,
    tags: Array.from({ length: tags }, (_, i) => ({
      name: `t${i}`,
      area: 'holding',
      address: 2 * i,
      type: 'float32',
    })),
  };
}

export async function prepareFieldbridge(setup: SideSetup): Promise<PreparedSide> {
  const { workload: w, dir } = setup;
  const devices: unknown[] = [];
  const common = { driver: 'modbus-tcp', host: '127.0.0.1', unitId: 1, pollIntervalMs: w.pollIntervalMs };
  if (w.mode === 'block') {
    for (let b = 0; b < w.blocksPerDevice; b++) {
      await writeFile(join(dir, `block-${b}.json`), JSON.stringify(blockMapping(b)));
    }
    for (let d = 0; d < w.devices; d++) {
      for (let b = 0; b < w.blocksPerDevice; b++) {
        devices.push({
          ...common,
          name: `${deviceName(d)}-b${b}`,
          port: setup.ports[d],
          batch: true,
          mapping: `block-${b}.json`,
        });
      }
    }
  } else {
    await writeFile(join(dir, 'per-tag.json'), JSON.stringify(perTagMapping(w.tagsPerDevice)));
    for (let d = 0; d < w.devices; d++) {
      devices.push({ ...common, name: deviceName(d), port: setup.ports[d], mapping: 'per-tag.json' });
    }
  }
  const config = {
    gateway: { id: 'bench', stateDir: dir },
    log: { level: 'warn', pretty: false },
    mqtt: {
      url: `mqtt://127.0.0.1:${setup.brokerPort}`,
      protocolVersion: setup.mqttVersion,
      clientId: `fieldbridge-bench-${process.pid}`,
      topicPrefix: TOPIC_PREFIX,
      ...(setup.inflight === undefined ? {} : { inflight: setup.inflight }),
    },
    queue: { type: 'level', dir: join(dir, 'queue') },
    devices,
  };
  const configPath = join(dir, 'gateway.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const nodeArgs = [
    ...(await unitNodeFlags()),
    ...(setup.cpuProfile === true ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []),
  ];
  // Experiments only (e.g. BENCH_NODE_ARGS="--trace-gc"): extra Node flags for the gateway process.
  nodeArgs.push(...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''));
  return {
    spawn: () =>
      spawnSide([...nodeArgs, join(REPO_ROOT, 'bin/fieldbridge.mjs'), 'run', configPath], {
        cwd: REPO_ROOT,
        logFile: join(dir, 'fieldbridge.log'),
      }),
  };
}

/** The node flags (V8 heap sizing) between node and bin/fieldbridge.mjs in the unit's ExecStart. */
async function unitNodeFlags(): Promise<string[]> {
  const unit = await readFile(join(REPO_ROOT, 'systemd/fieldbridge.service'), 'utf8');
  const words = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  const script = words.findIndex((word) => word.endsWith('/bin/fieldbridge.mjs'));
  if (script < 1) throw new Error('systemd/fieldbridge.service: no ExecStart=<node> … bin/fieldbridge.mjs');
  return words.slice(1, script);
}

/**
 * The Node-RED side: node-red@4.1.15 with node-red-contrib-modbus@5.23.3, installed at benchmark time
 * into bench/.peer/ (git-ignored, never vendored), run with the same Node 24 as the harness. The flow
 * comes from node-red-flows.ts. Node-RED finds contrib-modbus by walking up from its own install
 * (bench/.peer/node_modules), so a fresh userDir per run is enough.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../test/helpers/mosquitto.ts';
import { nodeRedFlow } from './node-red-flows.ts';
import { spawnSide } from './process.ts';
import type { PreparedSide, SideSetup } from './side.ts';

const PEER_DIR = fileURLToPath(new URL('../../.peer/', import.meta.url));
const RED_JS = join(PEER_DIR, 'node_modules/node-red/red.js');
export const PEER_INSTALL =
  'npm install --prefix bench/.peer node-red@4.1.15 node-red-contrib-modbus@5.23.3 --no-audit --no-fund';

export function nodeRedInstalled(): boolean {
  return (
    existsSync(RED_JS) && existsSync(join(PEER_DIR, 'node_modules/node-red-contrib-modbus/package.json'))
  );
}

export async function prepareNodeRed(setup: SideSetup): Promise<PreparedSide> {
  if (!nodeRedInstalled()) {
    throw new Error(`Node-RED is not installed in ${PEER_DIR}; install it with:\n  ${PEER_INSTALL}`);
  }
  const { dir } = setup;
  const flowFile = join(dir, 'flows.json');
  await writeFile(flowFile, JSON.stringify(nodeRedFlow(setup), null, 1));
  const uiPort = await freePort();
  // The editor stays on (users run with it), on a free loopback port; everything that phones home is off.
  const settings = {
    uiPort,
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: false,
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    editorTheme: { projects: { enabled: false }, tours: false },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    telemetry: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    functionExternalModules: false,
  };
  const settingsFile = join(dir, 'settings.js');
  await writeFile(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  return {
    spawn: () =>
      spawnSide([RED_JS, '--settings', settingsFile, '--userDir', dir, flowFile], {
        cwd: dir,
        logFile: join(dir, 'node-red.log'),
      }),
  };
}

/**
 * The status page in headless Chromium (Debian's `chromium`) against a real gateway: a Modbus simulator,
 * the real config loader and service start, the real HTTP server. The page's script fetches /api/status
 * and must render the device row and the tag rows with their live values.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../gateway/config/load.ts';
import { createLogger } from '../../../gateway/log.ts';
import { type RunningService, startService } from '../../../gateway/service/service.ts';
import { ModbusTcpSimulator } from '../../../simulators/modbus/simulator.ts';

const run = promisify(execFile);
const MAPPING = fileURLToPath(new URL('../../fixtures/integration/plc-known.json', import.meta.url));

/** Loads the page, lets its script run (virtual time), and returns the DOM as rendered. */
async function renderedDom(url: string, profile: string): Promise<string> {
  const { stdout } = await run(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--virtual-time-budget=3000',
      '--dump-dom',
      url,
    ],
    { timeout: 30_000, maxBuffer: 10 * 1024 * 1024 },
  );
  return stdout;
}

describe('status page in headless Chromium', () => {
  const plc = new ModbusTcpSimulator();
  let dir = '';
  let service: RunningService;

  beforeAll(async () => {
    const { port } = await plc.listen(0);
    plc.unit(1).holding.set([0x41ac, 0x0000], 0); // temperature 21.5 (float32 ABCD)
    plc.unit(1).input.set([0x4142, 0x3132, 0x0000], 0); // serial "AB12"
    dir = await mkdtemp(join(tmpdir(), 'fb-page-'));
    const configFile = join(dir, 'gateway.json');
    await writeFile(
      configFile,
      JSON.stringify({
        gateway: { id: 'page-gw', stateDir: dir },
        mqtt: { url: 'mqtt://127.0.0.1:9' },
        queue: { type: 'memory' },
        http: { port: 0 },
        devices: [
          {
            name: 'press-3',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port,
            pollIntervalMs: 100,
            mapping: MAPPING,
          },
        ],
      }),
    );
    const loaded = await loadConfig(configFile);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    service = await startService({
      configPath: configFile,
      loaded: loaded.config,
      log: createLogger({ level: 'silent', pretty: false }),
      version: '0.0.0-test',
      env: {},
    });
    // Wait for the first poll so the page has tags to show.
    const deadline = Date.now() + 10_000;
    while (service.gateway.status().devices[0]?.tags.every((t) => t === undefined)) {
      if (Date.now() > deadline) throw new Error('no poll within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(async () => {
    await service?.stop();
    await plc.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders devices and tags from /api/status', async () => {
    const html = await renderedDom(`${service.http!.url}/`, join(dir, 'chromium-profile'));
    expect(html).toContain('<span id="gateway-id">page-gw</span>');
    expect(html).toMatch(
      /<tr data-device="press-3"><td>press-3<\/td><td>modbus-tcp<\/td><td class="connected">connected<\/td>/,
    );
    expect(html).toMatch(
      /<tr data-tag="press-3\/temperature"><td>press-3<\/td><td>temperature<\/td><td class="value">21.5<\/td><td class="good">good<\/td>/,
    );
    expect(html).toMatch(
      /<tr data-tag="press-3\/serial"><td>press-3<\/td><td>serial<\/td><td class="value">AB12<\/td>/,
    );
    // The broker is down in this test: the page says so instead of hiding it. The gateway queues meanwhile,
    // so it is ready but degraded (gateway/http/readiness.ts).
    expect(html).toMatch(/<td id="broker-state" class="disconnected">disconnected/);
    expect(html).toMatch(/<p id="summary" class="degraded">ready, degraded · version /);
    // Loss counters are shown even at zero, so an operator knows where to look.
    expect(html).toContain(
      '<td id="queue-loss" class="">0 (write failed / disk full 0, back-pressure 0), 0 bytes waiting to be written</td>',
    );
    expect(html).toContain('<td id="queue-store" class="">ok</td>');
  });
});

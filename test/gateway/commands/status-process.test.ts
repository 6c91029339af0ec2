/**
 * `fieldbridge status` and /readyz for a partly failed plant, through the real process: two units on one
 * RTU-over-TCP line, one of which never answers. The silent unit is reported disconnected with why
 * (its line is up, so it used to read "connected" with no error), named in the problems, and the
 * gateway stays ready but degraded (gateway/http/readiness.ts); once the unit answers, it is connected
 * and the gateway plainly ready again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiDevice } from '../../../gateway/http/api-status.ts';
import { RtuSlaveSimulator } from '../../../simulators/modbus/rtu-simulator.ts';
import { tableRows } from '../../acceptance/cli.ts';
import { type AcceptanceGateway, startAcceptanceGateway } from '../../acceptance/harness.ts';
import { type Mosquitto, startMosquitto } from '../../helpers/mosquitto.ts';

const COLUMNS = ['DEVICE', 'DRIVER', 'STATE', 'POLLS', 'FAILED', 'GOOD/BAD/STALE', 'LAST ERROR'];
const SILENT =
  /^unit 9 does not answer \(timeout after 150 ms reading holding 0\.\.0\); polled only by a periodic probe until it does$/;

describe('status of a gateway with a unit that never answers', () => {
  let broker: Mosquitto;
  let line: RtuSlaveSimulator;
  let gw: AcceptanceGateway;

  beforeAll(async () => {
    broker = await startMosquitto();
    line = new RtuSlaveSimulator([1]);
    line.unit(1).holding[0] = 42;
    const { port } = await line.listenTcp();
    const meter = (name: string, unitId: number) => ({
      name,
      driver: 'modbus-rtu-tcp',
      host: '127.0.0.1',
      port,
      unitId,
      pollIntervalMs: 100,
      timeoutMs: 150,
      mapping: 'meter.json',
    });
    gw = await startAcceptanceGateway({
      broker,
      devices: [meter('meter-1', 1), meter('meter-9', 9)],
      mappings: { 'meter.json': { tags: [{ name: 'v', area: 'holding', address: 0, type: 'uint16' }] } },
    });
  });

  afterAll(async () => {
    await gw?.dispose();
    await line?.close();
    await broker?.stop();
  });

  async function deviceWhen(name: string, wanted: (d: ApiDevice) => boolean): Promise<ApiDevice> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const device = (await gw.apiStatus()).devices.find((d) => d.name === name);
      if (device !== undefined && wanted(device)) return device;
      if (Date.now() > deadline) throw new Error(`${name}: not as expected: ${JSON.stringify(device)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('names the silent unit, disconnected with its error, and the gateway is ready but degraded', async () => {
    const silent = await deviceWhen('meter-9', (d) => d.state === 'disconnected' && d.failedPollPercent > 50);
    expect(silent.lastError).toMatch(SILENT);

    const readyz = await gw.http('/readyz');
    expect(readyz.status).toBe(200);
    const [head, ...reasons] = readyz.body.trimEnd().split('\n');
    expect(head).toBe('ready, degraded:');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^- device meter-9: \d+% of recent polls failed: unit 9 does not answer /);

    const status = await gw.statusCli();
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n')[0]).toMatch(/^gateway acc-gw \S+, up \d+ s: ready, DEGRADED$/);
    expect(status.stdout).toContain('\n  - device meter-9: ');
    const rows = tableRows(status.stdout, COLUMNS);
    expect(rows.find((r) => r.DEVICE === 'meter-1')).toMatchObject({ STATE: 'connected', 'LAST ERROR': '' });
    const row = rows.find((r) => r.DEVICE === 'meter-9');
    expect(row?.STATE).toBe('disconnected');
    expect(row?.['LAST ERROR']).toMatch(SILENT);

    const metrics = await gw.metrics();
    expect(metrics.value('fieldbridge_device_connected', { device: 'meter-1' })).toBe(1);
    expect(metrics.value('fieldbridge_device_connected', { device: 'meter-9' })).toBe(0);
  });

  it('reports the unit connected once it answers, and the gateway plainly ready', async () => {
    line.unit(9).holding[0] = 9;
    await deviceWhen('meter-9', (d) => d.state === 'connected' && d.failedPollPercent <= 50);
    const readyz = await gw.http('/readyz');
    // Other problems may linger a moment (the error budget counts the last 20 polls): wait them out.
    const deadline = Date.now() + 10_000;
    let body = readyz.body;
    while (body !== 'ready\n' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = (await gw.http('/readyz')).body;
    }
    expect(body).toBe('ready\n');
    const status = await gw.statusCli();
    expect(status.stdout.split('\n')[0]).toMatch(/: ready$/);
    expect(tableRows(status.stdout, COLUMNS).find((r) => r.DEVICE === 'meter-9')?.STATE).toBe('connected');
  });
});

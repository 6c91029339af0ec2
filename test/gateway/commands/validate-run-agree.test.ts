/**
 * `validate` refuses exactly what `run` refuses: the line and unit checks of shared RTU lines, repeated
 * keys and a trailing comma. Both as users run them (`node bin/fieldbridge.mjs validate|run <config>`,
 * child processes); run prints the same problem lines and does not start. A serial port that does not
 * exist is a warning to both, and run starts anyway (the port is opened once it appears).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LEVEL, type PreparedGateway, prepareGateway } from '../../helpers/gateway-process.ts';

const CLI = fileURLToPath(new URL('../../../bin/fieldbridge.mjs', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
const MISSING_PORT = '/dev/serial/by-id/usb-fieldbridge-test-no-such-adapter-port0';

function fieldbridge(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

describe('validate and run agree', () => {
  it.each(['rtu-line-settings-differ', 'rtu-duplicate-unit-id', 'duplicate-keys', 'trailing-comma-in-array'])(
    '%s: both refuse it with the same problems',
    async (name) => {
      const dir = join(FIXTURES, name);
      const config = existsSync(join(dir, 'gateway.json')) ? 'gateway.json' : 'broken-gateway.json';
      const validate = await fieldbridge(dir, 'validate', config);
      const run = await fieldbridge(dir, 'run', config);
      const problems = validate.stderr.split('\n').filter((line) => /^\S+:\d+:\d+ {2}\$/.test(line));
      expect(problems.length).toBeGreaterThan(0);
      expect(validate.code).toBe(1);
      expect(run.code).toBe(1);
      expect(run.stderr.split('\n')).toEqual(
        expect.arrayContaining([
          ...problems,
          `fieldbridge: not starting: ${config} has ${problems.length} problem(s)`,
        ]),
      );
    },
  );

  describe('a serial port that does not exist', () => {
    let gw: PreparedGateway | undefined;
    afterEach(async () => {
      await gw?.dispose();
      gw = undefined;
    });

    it('is a warning in validate, and run starts and logs it', async () => {
      gw = await prepareGateway({
        // No broker: the gateway queues, which is all this test needs.
        mqttUrl: `mqtt://127.0.0.1:${await closedPort()}`,
        http: { enabled: false },
        deviceConfigs: [{ name: 'meter', driver: 'modbus-rtu', port: MISSING_PORT, mapping: 'meter.json' }],
        mappingFiles: {
          'meter.json': { tags: [{ name: 'v', area: 'holding', address: 0, type: 'uint16' }] },
        },
      });
      const warning = `device "meter": serial port ${MISSING_PORT} does not exist (yet): the gateway starts anyway and opens it once it appears (a USB adapter plugged in later); \`fieldbridge ports\` lists the ports this machine has`;
      const validate = await fieldbridge(gw.dir, 'validate', 'gateway.json');
      expect(validate.code).toBe(0);
      expect(validate.stdout).toContain(`$.devices[0].port  warning: ${warning}\n`);
      const run = await gw.start();
      const logged = await run.waitForLog((l) => l.msg === warning, 5000, 'the missing-port warning');
      expect(logged).toMatchObject({ level: LEVEL.warn, at: '/devices/0/port' });
      expect((await run.stop()).code).toBe(0);
    });
  });
});

/** A port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

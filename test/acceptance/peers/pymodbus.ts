/**
 * Debian's pymodbus 3.0 (python3-pymodbus) as a Modbus peer in its own process: ./pymodbus_server.py,
 * run with /usr/bin/python3 (the system Python that has the Debian package, never a pyenv python3
 * on PATH). Serves RegisterImages (../modbus-vectors.ts) over Modbus TCP, RTU over TCP and RTU on a
 * serial port (one end of a socat pty pair; needs python3-serial-asyncio).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegisterImage } from '../modbus-vectors.ts';

export const SYSTEM_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pymodbus_server.py', import.meta.url));
const START_TIMEOUT_MS = 15_000;

/** Unit id → what it serves. */
export type Units = Readonly<Record<number, RegisterImage>>;

export interface PymodbusSpec {
  readonly tcp?: Units;
  readonly rtuTcp?: Units;
  readonly serial?: { readonly port: string; readonly units: Units };
}

export interface PymodbusServer {
  /** Modbus TCP port on 127.0.0.1 (when `tcp` was given). */
  readonly tcpPort: number | undefined;
  /** RTU-over-TCP port on 127.0.0.1 (when `rtuTcp` was given). */
  readonly rtuTcpPort: number | undefined;
  output(): string;
  close(): Promise<void>;
}

/** Fails with what to install when the system Python lacks pymodbus or serial-asyncio (.ci/run installs them). */
export function requirePymodbus(serial: boolean): void {
  const modules = serial ? 'import pymodbus, serial_asyncio' : 'import pymodbus';
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', modules], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `${SYSTEM_PYTHON} cannot ${modules}: the acceptance suite's independent Modbus server is Debian's python3-pymodbus` +
        ` (apt-get install python3-pymodbus python3-serial-asyncio; .ci/run installs them): ${probe.stderr ?? probe.error?.message}`,
    );
  }
}

function unitsJson(units: Units): Record<string, Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const [id, image] of Object.entries(units)) {
    out[id] = {
      holding: Object.fromEntries(image.holding),
      input: Object.fromEntries(image.input),
      coil: Object.fromEntries(image.coil),
      discrete: Object.fromEntries(image.discrete),
    };
  }
  return out;
}

export async function startPymodbus(spec: PymodbusSpec): Promise<PymodbusServer> {
  requirePymodbus(spec.serial !== undefined);
  const dir = await mkdtemp(join(tmpdir(), 'fieldbridge-pymodbus-'));
  const specPath = join(dir, 'spec.json');
  await writeFile(
    specPath,
    JSON.stringify({
      ...(spec.tcp === undefined ? {} : { tcp: { units: unitsJson(spec.tcp) } }),
      ...(spec.rtuTcp === undefined ? {} : { rtuTcp: { units: unitsJson(spec.rtuTcp) } }),
      ...(spec.serial === undefined
        ? {}
        : { serial: { port: spec.serial.port, units: unitsJson(spec.serial.units) } }),
    }),
  );
  // stdin stays an open pipe: the script exits when it closes, so it never outlives this process.
  const child: ChildProcess = spawn(SYSTEM_PYTHON, [SCRIPT, specPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ tcp?: number; rtuTcp?: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pymodbus server: not ready within ${START_TIMEOUT_MS} ms: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { tcp?: number; rtuTcp?: number });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pymodbus server exited (${code}) before it was ready: ${stderr}`));
    });
  }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    tcpPort: ready.tcp,
    rtuTcpPort: ready.rtuTcp,
    output: () => stderr,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

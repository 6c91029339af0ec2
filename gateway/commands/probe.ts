/**
 * `fieldbridge probe --host h [--port 502] [--unit 1] --address a [--count n] [--type float32]
 * [--area holding|input]`: reads a register range once and shows the value at each address decoded in
 * every byte/word order, so an engineer can spot the order that gives a sensible number (a string: high
 * and low byte first, the mapping's "byteSwap").
 */
import { createModbusTcpDriver } from '../../drivers/modbus/tcp-driver.ts';
import { buildRegisterCodec } from '../../mappings/modbus/codec.ts';
import type { BlockResult } from '../../mappings/modbus/read-plan.ts';
import { BYTE_ORDERS, DATA_TYPES, type ModbusTag } from '../../mappings/schema.ts';
import type { Output } from '../cli.ts';
import { didYouMean } from '../config/suggest.ts';
import { createLogger } from '../log.ts';
import { firstEvent, table } from './first-event.ts';

export interface ProbeOptions {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  readonly area: 'holding' | 'input';
  readonly address: number;
  readonly count: number;
  readonly type: ModbusTag['type'];
  readonly timeoutMs?: number;
}

/** The command line's flags as ProbeOptions, or what is wrong with them. */
export function parseProbeOptions(flags: Readonly<Record<string, unknown>>): ProbeOptions | string {
  const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const whole = (name: string, fallback?: number): number | string | undefined => {
    const value = text(name);
    if (value === undefined) return fallback;
    return /^\d+$/.test(value) ? Number(value) : `--${name} needs a whole number (got "${value}")`;
  };
  const host = text('host');
  const address = whole('address');
  if (host === undefined || address === undefined) return 'probe needs --host and --address';
  const port = whole('port', 502);
  const unitId = whole('unit', 1);
  const count = whole('count', 2);
  for (const value of [address, port, unitId, count]) if (typeof value === 'string') return value;
  const area = text('area') ?? 'holding';
  if (area !== 'holding' && area !== 'input') {
    return `--area is holding or input (got "${area}")${didYouMean(area, ['holding', 'input'])}`;
  }
  const type = text('type') ?? 'float32';
  if (!isProbeType(type)) {
    return `--type ${JSON.stringify(type)} is not a register type: use one of ${PROBE_TYPES.join(', ')}${didYouMean(type, PROBE_TYPES)}`;
  }
  return {
    host,
    port: port as number,
    unitId: unitId as number,
    address: address as number,
    count: count as number,
    area,
    type,
  };
}

/** Every data type but bool, which is one bit of a register and would need a bit number. */
const PROBE_TYPES = DATA_TYPES.filter((type) => type !== 'bool');

function isProbeType(type: string): type is ProbeOptions['type'] {
  return (PROBE_TYPES as readonly string[]).includes(type);
}

interface Column {
  readonly label: string;
  readonly codec: ReturnType<typeof buildRegisterCodec>;
}

/**
 * One column per way the registers can be read. Numbers: the four byte orders. A string has no byte
 * order, only "byteSwap" (devices that send the low byte of each register first), so its columns are
 * the two readings the mapping can ask for, labelled with the setting that gives each.
 */
function columnsFor(options: ProbeOptions): Column[] {
  if (options.type === 'string') {
    return [false, true].map((byteSwap) => ({
      label: byteSwap ? 'LOW BYTE FIRST ("byteSwap": true)' : 'HIGH BYTE FIRST',
      codec: buildRegisterCodec({ type: 'string', length: options.count, byteSwap }),
    }));
  }
  return BYTE_ORDERS.map((order) => ({
    label: order,
    codec: buildRegisterCodec({ type: options.type, byteOrder: order, length: options.count }),
  }));
}

export async function runProbe(options: ProbeOptions, out: Output): Promise<number> {
  let codecs: Column[];
  try {
    codecs = columnsFor(options);
  } catch (error) {
    out.error(`fieldbridge probe: type ${options.type}: ${(error as Error).message}`);
    return 2;
  }
  const timeoutMs = options.timeoutMs ?? 2000;
  const where = `${options.host}:${options.port} unit ${options.unitId}`;
  const result = await firstEvent<BlockResult>(where, 3 * timeoutMs + 1000, async (report) => {
    const driver = createModbusTcpDriver(
      {
        device: 'probe',
        host: options.host,
        port: options.port,
        unitId: options.unitId,
        timeoutMs,
        pollIntervalMs: 1000,
        plan: { blocks: [{ area: options.area, start: options.address, count: options.count }] },
        log: createLogger({ level: 'error', stderr: true }),
      },
      {
        onReading: (reading) => reading.results[0] && report(reading.results[0]),
        onConnectionState: () => {},
      },
    );
    await driver.start();
    return driver;
  }).catch((error: Error) => error);
  if (result instanceof Error) {
    out.error(`fieldbridge probe: ${result.message}`);
    return 1;
  }
  if (!result.ok || !('registers' in result)) {
    out.error(`fieldbridge probe: ${where}: ${result.ok ? 'no registers' : result.failure.message}`);
    return 1;
  }
  const regs = result.registers;
  out.log(
    `${options.area} registers ${options.address}..${options.address + options.count - 1}: ` +
      [...regs].map((r) => r.toString(16).padStart(4, '0')).join(' '),
  );
  const width = codecs[0]?.codec.registers ?? 1;
  const rows: string[][] = [['ADDRESS', ...codecs.map((c) => c.label)]];
  for (let offset = 0; offset + width <= regs.length; offset++) {
    rows.push([
      String(options.address + offset),
      ...codecs.map(({ codec }) => {
        try {
          const value = codec.decode(regs, offset);
          return typeof value === 'string' ? JSON.stringify(value) : String(value);
        } catch (error) {
          return `(${(error as Error).message})`;
        }
      }),
    ]);
  }
  for (const line of table(rows)) out.log(line);
  return 0;
}

/**
 * Modbus RTU drivers: on a serial line (RS-485/RS-232 through `serialport`) and over TCP to a serial
 * server (Moxa, USR… in "TCP server"/"RTU over TCP" mode, where RTU frames with CRC travel unchanged
 * in the TCP stream). Devices on the same line share one bus from the ModbusBusRegistry; each device
 * is one unit id with its own plan, poll rate, circuit breaker and split layouts.
 */
import type { BackoffOptions } from '../../core/backoff.ts';
import type { DriverEvents } from '../../core/driver.ts';
import { ModbusBus } from './bus.ts';
import type { ModbusBusRegistry } from './bus-registry.ts';
import { createModbusDeviceDriver, type ModbusDeviceDriver } from './device-driver.ts';
import type { DevicePollerOptions, ModbusDriverReading } from './device-poller.ts';
import { rtuLineSettings, TCP_INTER_FRAME_MS } from './line-settings.ts';
import { lineTiming } from './line-timing.ts';
import type { LineUsers } from './line-users.ts';
import type { OpenLink } from './link.ts';
import { type SerialLineSettings, serialLinkOpener } from './serial-link.ts';
import { tcpLinkOpener } from './tcp-link.ts';

export type RtuLine =
  | ({ readonly kind: 'serial' } & SerialLineSettings & { readonly interFrameDelayMs?: number | undefined })
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      /** Pause between frames; the serial server times the line itself (default 1.75 ms). */
      readonly interFrameDelayMs?: number | undefined;
    };

/** The poller's options (device, unit, plan, timing, breaker, log) plus the line and its bus registry. */
export interface ModbusRtuDriverOptions extends Omit<DevicePollerOptions, 'now'> {
  readonly line: RtuLine;
  /** 1..247 (0 is broadcast, which gets no reply and cannot be polled). */
  readonly unitId: number;
  /** Shared by the gateway's devices, so devices on one line share its bus. */
  readonly buses: ModbusBusRegistry;
  /** Reopening the line: a line setting, every device on the line must give the same (or none). */
  readonly backoff?: BackoffOptions | undefined;
  /**
   * After a timeout, wait this long for a late reply to pass before the next request (default: the
   * request's timeout). A line setting: every device on the line must give the same (or none).
   */
  readonly lateReplyGuardMs?: number | undefined;
}

export function createModbusRtuDriver(
  options: ModbusRtuDriverOptions,
  events: DriverEvents<ModbusDriverReading>,
): ModbusDeviceDriver {
  if (options.unitId < 1 || options.unitId > 247) {
    throw new Error(`device "${options.device}": RTU unit id must be 1..247, got ${options.unitId}`);
  }
  return createModbusDeviceDriver({ ...options, lease: () => leaseBus(options) }, events);
}

function leaseBus(options: ModbusRtuDriverOptions) {
  const { line } = options;
  const user = { device: options.device, log: options.log, timeoutMs: options.timeoutMs };
  if (line.kind === 'serial') {
    const timing = lineTiming(line, line.interFrameDelayMs);
    const settings = rtuLineSettings(line, options);
    return options.buses.lease(`serial:${line.path}`, settings, user, (users) =>
      bus(options, users, `serial ${line.path}`, serialLinkOpener(line), timing),
    );
  }
  const target = `${line.host}:${line.port}`;
  const timing = { charTimeMs: 0, interFrameDelayMs: line.interFrameDelayMs ?? TCP_INTER_FRAME_MS };
  const settings = rtuLineSettings(line, options);
  return options.buses.lease(`rtu-tcp:${target}`, settings, user, (users) => {
    // The connect serves every device on the serial server: it may take the longest of their timeouts,
    // whichever devices are on it at the time of the attempt.
    const open: OpenLink = (handlers, signal) =>
      tcpLinkOpener({ ...line, connectTimeoutMs: users.longestTimeoutMs(options.timeoutMs) })(
        handlers,
        signal,
      );
    return bus(options, users, `RTU over TCP ${target}`, open, timing);
  });
}

function bus(
  o: ModbusRtuDriverOptions,
  users: LineUsers,
  name: string,
  open: OpenLink,
  timing: { charTimeMs: number; interFrameDelayMs: number },
): ModbusBus {
  return new ModbusBus({
    name,
    open,
    session: {
      framing: 'rtu',
      charTimeMs: timing.charTimeMs,
      interFrameDelayMs: timing.interFrameDelayMs,
      ...(o.lateReplyGuardMs !== undefined && { lateReplyGuardMs: o.lateReplyGuardMs }),
    },
    dropOnFailure: false,
    backoff: o.backoff,
    log: o.log,
    users,
  });
}

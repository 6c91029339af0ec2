/**
 * The Modbus TCP driver: one connection per device (a bus of its own, see bus.ts), the whole ReadPlan
 * polled on a fixed grid, one reading per poll with one BlockResult per block.
 *
 * Connection policy (details in bus.ts and session.ts):
 * - A Modbus exception leaves the connection up (the device answered; only that block failed).
 * - A timeout or a malformed reply drops the connection and makes a new one, and every reply must
 *   carry the transaction id (16 bits, our own counter) of the one request in flight: a late reply can
 *   never be taken for the answer to a later request, even after thousands of requests.
 * - A device that closes the connection after answering (one request per connection) is reconnected at
 *   once, within the poll, so every block of the poll is still read.
 * - Lost or refused connections are retried with jittered exponential backoff, forever. The backoff is
 *   reset only by a reply, so a device that accepts TCP but never answers is not hammered.
 * - While not connected, every poll still emits a reading with all blocks failed ('disconnected', with
 *   the reason), so the mapping layer sees the same cadence whether the device is up or not.
 * - onConnectionState fires on changes only: 'connecting' once at start, then 'connected' /
 *   'disconnected'. Retries while disconnected do not repeat 'connecting' (they are logged at debug).
 */
import type { BackoffOptions } from '../../core/backoff.ts';
import type { Clock } from '../../core/clock.ts';
import type { DriverEvents } from '../../core/driver.ts';
import { ModbusBus } from './bus.ts';
import { createModbusDeviceDriver, type ModbusDeviceDriver } from './device-driver.ts';
import type { DevicePollerOptions, ModbusDriverReading } from './device-poller.ts';
import { tcpLinkOpener } from './tcp-link.ts';

/** The poller's options (device, unit, plan, timing, breaker, log) plus where the device is. */
export interface ModbusTcpDriverOptions extends Omit<DevicePollerOptions, 'now'> {
  readonly host: string;
  readonly port: number;
  /** Bounds each request and each connect attempt. */
  readonly timeoutMs: number;
  readonly backoff?: BackoffOptions | undefined;
  /** The poll schedule's and the reconnects' timers and time (default Node's): tests pass a ManualClock. */
  readonly clock?: Clock | undefined;
}

export type ModbusTcpDriver = ModbusDeviceDriver;
export type { ModbusDeviceDriverStats as ModbusTcpDriverStats } from './device-driver.ts';

export function createModbusTcpDriver(
  options: ModbusTcpDriverOptions,
  events: DriverEvents<ModbusDriverReading>,
): ModbusTcpDriver {
  const { host, port, unitId, timeoutMs, log, clock } = options;
  return createModbusDeviceDriver(
    {
      ...options,
      ...(clock !== undefined && { now: () => clock.now() }),
      lease: () => {
        const bus = new ModbusBus({
          name: `${host}:${port} unit ${unitId}`,
          open: tcpLinkOpener({ host, port, connectTimeoutMs: timeoutMs }),
          session: { framing: 'tcp' },
          dropOnFailure: true,
          backoff: options.backoff,
          log,
          clock,
        });
        return { bus, release: () => bus.stop() };
      },
    },
    events,
  );
}

/**
 * What every device on one RTU line must agree on, as one text: pure (no driver, no serial port
 * binding), so that `fieldbridge validate` compares exactly what the bus registry compares at start.
 */
import type { BackoffOptions } from '../../core/backoff.ts';
import { describeSerialLine } from './line-timing.ts';
import type { RtuLine } from './rtu-driver.ts';

/** A serial server times the line itself; the pause between our frames defaults to t3.5 at 19200+. */
export const TCP_INTER_FRAME_MS = 1.75;

/**
 * Everything one device decides for the whole line, as text ("19200 8E1, inter-frame 2.01 ms, late-reply
 * guard 200 ms"): the serial settings or a serial server's inter-frame delay, the late-reply quarantine
 * after a timeout (one line, one quarantine) and the reconnect backoff (one connection). The guard and
 * the backoff are named only when set, so devices that leave them at their defaults agree. The bus
 * registry compares it between the devices of a line, and `fieldbridge validate` compares the same text.
 */
export function rtuLineSettings(
  line: RtuLine,
  shared: { readonly lateReplyGuardMs?: number | undefined; readonly backoff?: BackoffOptions | undefined },
): string {
  const base =
    line.kind === 'serial'
      ? describeSerialLine(line, line.interFrameDelayMs)
      : `inter-frame ${Math.round((line.interFrameDelayMs ?? TCP_INTER_FRAME_MS) * 100) / 100} ms`;
  const guard =
    shared.lateReplyGuardMs === undefined ? '' : `, late-reply guard ${shared.lateReplyGuardMs} ms`;
  const b = shared.backoff;
  const backoff =
    b === undefined ? '' : `, reconnect backoff ${b.initialMs ?? 'default'}..${b.maxMs ?? 'default'} ms`;
  return `${base}${guard}${backoff}`;
}

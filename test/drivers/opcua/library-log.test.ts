import { Writable } from 'node:stream';
import { make_warningLog, setErrorLogger, setWarningLogger } from 'node-opcua-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routeNodeOpcuaLog, withLibraryLog } from '../../../drivers/opcua/library-log.ts';
import { createLogger } from '../../../gateway/log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  });
  return { lines, log };
}

describe('routeNodeOpcuaLog', () => {
  afterEach(() => vi.restoreAllMocks());

  it("sends node-opcua's warnings to our logger (debug, uncoloured) instead of console.log on stdout", () => {
    const { lines, log } = capture();
    const consoleLog = vi.spyOn(console, 'log').mockImplementation(() => {});
    routeNodeOpcuaLog({ setWarningLogger, setErrorLogger, setDebugLogger: () => {} }, log);

    make_warningLog('test')('Creating default certificate ... %s', '\u001b[33mplease wait\u001b[39m');

    expect(consoleLog).not.toHaveBeenCalled();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      source: 'node-opcua',
      msg: 'Creating default certificate ... please wait',
    });
    expect(String(lines[0]?.at)).toMatch(/^library-log\.test:\d+$/);
  });

  it('maps errors to warn and debug output to trace', () => {
    const { lines, log } = capture();
    const hooks: Record<string, (...args: unknown[]) => void> = {};
    routeNodeOpcuaLog(
      {
        setWarningLogger: (f) => {
          hooks.warning = f;
        },
        setErrorLogger: (f) => {
          hooks.error = f;
        },
        setDebugLogger: (f) => {
          hooks.debug = f;
        },
      },
      log,
    );
    hooks.error?.({ filename: 'client_base_impl', callerline: 12 }, 'boom', 42);
    hooks.debug?.(undefined, 'detail');
    expect(lines.map((l) => [l.level, l.msg, l.at])).toEqual([
      [40, 'boom 42', 'client_base_impl:12'],
      [10, 'detail', undefined],
    ]);
  });

  it('sends a line to the logger of the async context it was printed from (the device), else the fallback', async () => {
    const fallback = capture();
    const a = capture();
    const b = capture();
    const hooks: Record<string, (...args: unknown[]) => void> = {};
    routeNodeOpcuaLog(
      {
        setWarningLogger: (f) => {
          hooks.warning = f;
        },
        setErrorLogger: (f) => {
          hooks.error = f;
        },
        setDebugLogger: () => {},
      },
      fallback.log,
    );
    const later = (text: string) =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          hooks.warning?.(undefined, text);
          resolve();
        }, 5),
      );
    // Timers (like sockets and promises) keep the context they were created in.
    await Promise.all([
      withLibraryLog(a.log, () => later('from a')),
      withLibraryLog(b.log, () => later('from b')),
    ]);
    hooks.warning?.(undefined, 'from nowhere');
    // The message decoder's errors are explained by the driver: debug, not warn.
    withLibraryLog(a.log, () =>
      hooks.error?.(
        { filename: 'message_builder_base', callerline: 151 },
        'Error  client5 Error message not specified',
      ),
    );
    expect(a.lines.map((l) => [l.level, l.msg])).toEqual([
      [20, 'from a'],
      [20, 'Error  client5 Error message not specified'],
    ]);
    expect(b.lines.map((l) => l.msg)).toEqual(['from b']);
    expect(fallback.lines.map((l) => l.msg)).toEqual(['from nowhere']);
  });
});

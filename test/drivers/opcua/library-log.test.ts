import { Writable } from 'node:stream';
import { make_warningLog, setErrorLogger, setWarningLogger } from 'node-opcua-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routeNodeOpcuaLog } from '../../../drivers/opcua/library-log.ts';
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
});

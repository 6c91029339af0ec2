/**
 * node-opcua prints its own warnings and errors with console.log (node-opcua-debug): coloured text on
 * stdout such as "Creating default certificate ... please wait" or a base64 dump of an untrusted server
 * certificate at every connection attempt. On a service's stdout that breaks the JSON-lines log. This
 * routes them into our logger instead, as JSON lines with `source: "node-opcua"`.
 *
 * node-opcua-debug keeps one set of loggers per process (its own module state, not ours), so the hooks
 * are process-wide. To say which device a line came from (issue 11), each driver runs its connection
 * loop inside `withLibraryLog(deviceLog, …)`: node-opcua's sockets, timers and promises are created in
 * that async context and keep it, so a line printed from any of them goes to that device's logger. A line
 * printed outside every driver's context (none is known) goes to the sink given when the hooks were
 * (re)installed.
 *
 * Levels: node-opcua's warnings mostly repeat, in raw form, what the driver already reports in its own
 * words (an untrusted certificate, a refused connection), so they go to debug; its errors go to warn, except
 * those of its message decoder ("Error client5 Error message not specified" for an ERR message, at every
 * connection attempt), which always end in a failed connection that the driver explains with the status
 * code, once at warn level; its debug output (only with DEBUG=<file> set) to trace. node-opcua-pki still writes a few rare messages
 * with console.log directly; it has no hook for them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { format, stripVTControlCharacters } from 'node:util';

type Print = (data?: unknown, ...rest: unknown[]) => void;

/** The hooks node-opcua-client re-exports from node-opcua-debug. */
export interface NodeOpcuaLogHooks {
  setWarningLogger(print: Print): void;
  setErrorLogger(print: Print): void;
  setDebugLogger(print: Print): void;
}

export interface LibraryLogSink {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  trace(fields: object, message: string): void;
}

/**
 * Which sink the running async context belongs to. A constant: the per-device state lives in the async
 * contexts themselves, so two gateways (or tests) in one process do not see each other's devices.
 */
const contextSink = new AsyncLocalStorage<LibraryLogSink>();

/** Runs `fn` so that node-opcua lines printed from anything it starts go to `sink`. */
export function withLibraryLog<T>(sink: LibraryLogSink, fn: () => T): T {
  return contextSink.run(sink, fn);
}

/** node-opcua files whose errors the driver reports itself, in its own words. */
const EXPLAINED_ERRORS = new Set(['message_builder_base']);

export function routeNodeOpcuaLog(hooks: NodeOpcuaLogHooks, fallback: LibraryLogSink): void {
  const to =
    (wanted: keyof LibraryLogSink): Print =>
    (context, ...args) => {
      const { filename, callerline } = (context ?? {}) as { filename?: unknown; callerline?: unknown };
      const at = typeof filename === 'string' ? `${filename}:${String(callerline)}` : undefined;
      const level = wanted === 'warn' && EXPLAINED_ERRORS.has(String(filename)) ? 'debug' : wanted;
      const sink = contextSink.getStore() ?? fallback;
      // node-opcua colours parts of its messages with chalk: escape codes are noise in a JSON log.
      sink[level](
        { source: 'node-opcua', ...(at !== undefined && { at }) },
        stripVTControlCharacters(format(...args)),
      );
    };
  hooks.setWarningLogger(to('debug'));
  hooks.setErrorLogger(to('warn'));
  hooks.setDebugLogger(to('trace'));
}

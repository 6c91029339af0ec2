/**
 * node-opcua prints its own warnings and errors with console.log (node-opcua-debug): coloured text on
 * stdout such as "Creating default certificate ... please wait" or a base64 dump of an untrusted server
 * certificate at every connection attempt. On a service's stdout that breaks the JSON-lines log. This
 * routes them into our logger instead, as JSON lines with `source: "node-opcua"`.
 *
 * node-opcua-debug keeps one set of loggers per process (its own module state, not ours), so the routing
 * is process-wide: it is (re)installed whenever a driver loads node-opcua, and lines carry the bindings of
 * the logger installed last. The message text names the endpoint or certificate it is about.
 *
 * Levels: node-opcua's warnings mostly repeat, in raw form, what the driver already reports in its own
 * words (an untrusted certificate, a refused connection), so they go to debug; its errors go to warn; its
 * debug output (only with DEBUG=<file> set) to trace. node-opcua-pki still writes a few rare messages
 * with console.log directly; it has no hook for them.
 */
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

export function routeNodeOpcuaLog(hooks: NodeOpcuaLogHooks, sink: LibraryLogSink): void {
  const to =
    (level: keyof LibraryLogSink): Print =>
    (context, ...args) => {
      const { filename, callerline } = (context ?? {}) as { filename?: unknown; callerline?: unknown };
      const at = typeof filename === 'string' ? `${filename}:${String(callerline)}` : undefined;
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

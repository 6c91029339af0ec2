/**
 * The test OPC UA server (test/helpers/opcua-server.ts) in a process of its own, for the acceptance
 * suite: the gateway under test and the server share no process, no event loop and no node-opcua module
 * state (node-opcua's loggers are per process). Controlled over stdin/stdout, one line each way:
 *
 *   node test/acceptance/peers/opcua-server-process.ts --dir <dir> [--reorder-namespaces] [--untrusting]
 *
 *   stdout  {"ready":{"endpoint":"opc.tcp://127.0.0.1:<port>","port":…,"plantIndex":2,"certificateFile":"…"}}
 *   stdin   restart [reorder]            → {"reply":"restart","ok":true,"plantIndex":3}
 *           trust-client <pem file>      → {"reply":"trust-client","ok":true}   (a client application cert)
 *           rejected-clients             → {"reply":"rejected-clients","ok":true,"fingerprints":["…"]}
 *           delete <variable>            → {"reply":"delete","ok":true}
 *           close-sessions               → {"reply":"close-sessions","ok":true}
 *           stop                         → {"reply":"stop","ok":true}, then the process exits 0
 *   A failed command answers {"reply":…,"ok":false,"error":"…"}. End of stdin (the parent died) stops it.
 *
 * `--untrusting` refuses client application certificates nobody trusted (trust-client), as real servers
 * do. `--dir` keeps the server's PKI: its certificate stays the same across restarts and runs.
 * node-opcua's own console output goes to stderr, so stdout carries only the lines above.
 * The parent side is ./opcua-server-peer.ts.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

// Before node-opcua is loaded: it prints with console.log, and stdout is the control channel.
console.log = console.error;
console.info = console.error;

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    'reorder-namespaces': { type: 'boolean' },
    untrusting: { type: 'boolean' },
  },
});
if (values.dir === undefined) {
  process.stderr.write('usage: opcua-server-process.ts --dir <dir> [--reorder-namespaces] [--untrusting]\n');
  process.exit(2);
}

const { startOpcUaServer } = await import('../../helpers/opcua-server.ts');
const server = await startOpcUaServer({
  dir: values.dir,
  reorderNamespaces: values['reorder-namespaces'] === true,
  trustClients: values.untrusting !== true,
});

const send = (line: unknown): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
send({
  ready: {
    endpoint: server.endpoint,
    port: server.port,
    plantIndex: server.plantIndex,
    certificateFile: server.certificateFile,
  },
});

type Command = (args: readonly string[]) => Promise<Record<string, unknown>>;
const commands: Record<string, Command> = {
  restart: async (args) => {
    await server.restart({ reorderNamespaces: args[0] === 'reorder' });
    return { plantIndex: server.plantIndex };
  },
  'trust-client': async ([file]) => {
    if (file === undefined) throw new Error('trust-client needs a PEM file');
    await server.trustClientCertificate(file);
    return {};
  },
  'rejected-clients': async () => {
    const certificates = await server.rejectedClientCertificates();
    return { fingerprints: certificates.map((der) => createHash('sha1').update(der).digest('hex')) };
  },
  delete: async ([name]) => {
    if (name === undefined) throw new Error('delete needs a variable name');
    server.deleteVariable(name);
    return {};
  },
  'close-sessions': async () => {
    await server.closeSessions();
    return {};
  },
};

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
};

// One command at a time, in order: each reply answers the oldest open command.
let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [name = '', ...args] = line.trim().split(/\s+/);
  if (name === '') return;
  queue = queue.then(async () => {
    if (name === 'stop') {
      await stop();
      send({ reply: 'stop', ok: true });
      process.exit(0);
    }
    const command = commands[name];
    try {
      if (command === undefined) throw new Error(`unknown command "${name}"`);
      send({ reply: name, ok: true, ...(await command(args)) });
    } catch (error) {
      send({ reply: name, ok: false, error: (error as Error).message });
    }
  });
});
lines.on('close', () => {
  void queue.then(stop).then(() => process.exit(0));
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void stop().then(() => process.exit(0)));
}

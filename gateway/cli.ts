/**
 * The `fieldbridge` command line. Each command lives in gateway/commands/; this file only dispatches
 * and prints usage, so `fieldbridge --help` stays fast (commands are imported on demand).
 */
import { parseArgs } from 'node:util';

export interface Output {
  log(line: string): void;
  error(line: string): void;
}

const consoleOutput: Output = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};

const USAGE = `fieldbridge — Modbus / OPC UA to MQTT edge gateway with store-and-forward

Usage:
  fieldbridge demo [--for <seconds>] [--quiet]   simulated PLC + embedded broker + gateway, prints every message
  fieldbridge run <config.json>                   run the gateway (logs: JSON lines; --pretty for humans)
  fieldbridge validate <config.json>              check a config and every mapping file it names
  fieldbridge status [--url <url>] [--token <t>]  ask a running gateway (default http://127.0.0.1:9810)
  fieldbridge read <config.json> <device>         poll one device once and print its decoded tags
  fieldbridge ports                               list serial ports (for modbus-rtu devices)
  fieldbridge probe --host <h> --address <a> [--port 502] [--unit 1] [--count 2] [--type float32]
                    [--area holding|input]        show registers decoded in every byte/word order
  fieldbridge opcua browse <endpoint> [--root <node>] [--depth N] [--write <mapping.json>] [--state-dir <dir>]
                           [--security-mode M] [--security-policy P] [--user NAME]
                                                  list an OPC UA server's variables; --write drafts a mapping
                                                  (password for --user: $FIELDBRIDGE_OPCUA_PASSWORD)
  fieldbridge opcua trust <stateDir> --list       OPC UA server certificates: rejected and trusted
  fieldbridge opcua trust <stateDir> <fingerprint | certificate file>
                                                  trust a rejected server certificate (see docs/opcua.md)
  fieldbridge version                             also --version, -v

Options:
  --pretty            human-readable logs (default when stdout is a terminal)
  --log-level <lvl>   trace | debug | info | warn | error (default info)
  -h, --help          this text
  -v, --version       fieldbridge's version and the Node.js it runs on
`;

export async function main(argv: readonly string[], out: Output = consoleOutput): Promise<number> {
  // `opcua` subcommands have flags of their own: dispatched before the global parse, which would reject them.
  if (argv[0] === 'opcua') return runOpcua(argv.slice(1), out);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return usageError(out, await describeParseError(error as Error));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  // `fieldbridge --version` / `-v` as most command-line tools answer it, whatever else is on the line.
  if (values.version === true) return printVersion(out);
  if (values.help === true || command === undefined || command === 'help') {
    out.log(USAGE);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  const logOptions = { pretty: values.pretty, level: values['log-level'] };
  switch (command) {
    case 'version':
      return printVersion(out);
    case 'validate': {
      if (rest[0] === undefined) return usageError(out, 'validate needs a config file');
      const { runValidate } = await import('./commands/validate.ts');
      return runValidate(rest[0], out);
    }
    case 'run': {
      if (rest[0] === undefined) return usageError(out, 'run needs a config file');
      const { runGateway } = await import('./commands/run.ts');
      return runGateway(rest[0], logOptions, out);
    }
    case 'demo': {
      const { runDemo } = await import('./commands/demo.ts');
      const seconds = values.for === undefined ? undefined : Number(values.for);
      if (seconds !== undefined && !(seconds > 0))
        return usageError(out, '--for needs a number of seconds > 0');
      return runDemo({ forSeconds: seconds, quiet: values.quiet === true, log: logOptions }, out);
    }
    case 'status': {
      const { runStatus } = await import('./commands/status.ts');
      return runStatus({ url: values.url, token: values.token }, out);
    }
    case 'read': {
      if (rest[0] === undefined || rest[1] === undefined)
        return usageError(out, 'read needs a config file and a device name');
      const { runRead } = await import('./commands/read.ts');
      return runRead(rest[0], rest[1], out);
    }
    case 'probe': {
      const { parseProbeOptions, runProbe } = await import('./commands/probe.ts');
      const probe = parseProbeOptions(values);
      return typeof probe === 'string' ? usageError(out, probe) : runProbe(probe, out);
    }
    case 'ports': {
      const { runPorts } = await import('./commands/ports.ts');
      return runPorts(rest, out);
    }
    default:
      return usageError(out, `unknown command "${command}"`);
  }
}

async function runOpcua(argv: readonly string[], out: Output): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === 'browse') {
    const { runOpcuaBrowse } = await import('./commands/opcua.ts');
    return runOpcuaBrowse(rest, out);
  }
  if (subcommand === 'trust') {
    const { runOpcuaTrust } = await import('./commands/opcua.ts');
    return runOpcuaTrust(rest, out);
  }
  if (subcommand === '--help' || subcommand === '-h') {
    out.log(USAGE);
    return 0;
  }
  return usageError(
    out,
    subcommand === undefined ? 'opcua needs "browse" or "trust"' : `unknown opcua command "${subcommand}"`,
  );
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  pretty: { type: 'boolean' },
  'log-level': { type: 'string' },
  for: { type: 'string' },
  quiet: { type: 'boolean' },
  url: { type: 'string' },
  token: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  unit: { type: 'string' },
  address: { type: 'string' },
  count: { type: 'string' },
  type: { type: 'string' },
  area: { type: 'string' },
} as const;

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
}

/**
 * Node's parser words its errors for programmers ("To specify a positional argument starting with a
 * '-', place it at the end…"); an unknown option gets one line with a did-you-mean instead.
 */
async function describeParseError(error: Error): Promise<string> {
  const unknown = /^Unknown option '(-{1,2})([^']*)'/.exec(error.message);
  if (unknown === null) return error.message;
  const { didYouMean } = await import('./config/suggest.ts');
  const [, dashes, name = ''] = unknown;
  const hint = dashes === '--' ? didYouMean(name, Object.keys(OPTIONS)).replace('"', '"--') : '';
  return `unknown option ${dashes}${name}${hint}`;
}

async function printVersion(out: Output): Promise<number> {
  const { version } = (await import('../package.json', { with: { type: 'json' } })).default;
  out.log(`fieldbridge ${version} (Node.js ${process.version})`);
  return 0;
}

function usageError(out: Output, message: string): number {
  out.error(`fieldbridge: ${message}\n\n${USAGE}`);
  return 2;
}

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
  fieldbridge version

Options:
  --pretty            human-readable logs (default when stdout is a terminal)
  --log-level <lvl>   trace | debug | info | warn | error (default info)
  -h, --help          this text
`;

export async function main(argv: readonly string[], out: Output = consoleOutput): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    out.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined || command === 'help') {
    out.log(USAGE);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  const logOptions = { pretty: values.pretty, level: values['log-level'] };
  switch (command) {
    case 'version': {
      const { version } = (await import('../package.json', { with: { type: 'json' } })).default;
      out.log(`fieldbridge ${version} (Node.js ${process.version})`);
      return 0;
    }
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
    default:
      return usageError(out, `unknown command "${command}"`);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      pretty: { type: 'boolean' },
      'log-level': { type: 'string' },
      for: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
}

function usageError(out: Output, message: string): number {
  out.error(`fieldbridge: ${message}\n\n${USAGE}`);
  return 2;
}

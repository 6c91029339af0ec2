/**
 * Run by a package's own Node (the arm64 one under qemu-aarch64-static), not by vitest: loads the
 * native modules from the package's node_modules as the gateway does, makes each do real work, and
 * prints one JSON line with what happened and which native files the process loaded.
 *
 *   <package>/usr/lib/fieldbridge/node/bin/node runtime-probe.ts <appDir> <scratchDir> [--require-all]
 *
 * - classic-level: a LevelDB opened in scratchDir, one value written, read back, closed;
 * - @serialport/bindings-cpp: its native open() on a path that does not exist, whose error text
 *   ("No such file or directory, cannot open …") comes from the C++ code;
 * - --require-all: every production dependency in the package's package.json is loaded.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface SerialBinding {
  open(options: { path: string; baudRate: number }): Promise<unknown>;
}

const [appDir, scratch, flag] = process.argv.slice(2);
if (appDir === undefined || scratch === undefined)
  throw new Error('usage: runtime-probe.ts <appDir> <scratchDir>');
const require = createRequire(join(appDir, 'package.json'));

const { ClassicLevel } = require('classic-level') as typeof import('classic-level');
const db = new ClassicLevel<string, string>(join(scratch, 'probe-db'));
await db.put('probe', 'value written on this architecture');
const leveldbValue = await db.get('probe');
await db.close();

const bindings = require('@serialport/bindings-cpp') as { autoDetect(): SerialBinding };
const serialOpenError = await bindings
  .autoDetect()
  .open({ path: join(scratch, 'no-such-tty'), baudRate: 9600 })
  .then(
    () => 'opened',
    (error: Error) => error.message,
  );

const required: string[] = [];
if (flag === '--require-all') {
  const manifest = require('./package.json') as { dependencies: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies)) {
    if (name === 'node') continue; // the source checkout's Node installer, not shipped
    require(name);
    required.push(name);
  }
}

const report = process.report.getReport() as unknown as { sharedObjects: string[] };
console.log(
  JSON.stringify({
    arch: process.arch,
    version: process.version,
    execPath: process.execPath,
    leveldbValue,
    serialOpenError,
    required,
    nativeModules: report.sharedObjects.filter((file) => file.endsWith('.node')).sort(),
  }),
);

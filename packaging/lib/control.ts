/**
 * The DEBIAN/ control area: control (with Installed-Size computed the way dpkg-gencontrol does: every
 * file rounded up to a KiB, every other entry one KiB), conffiles, md5sums (every file but the
 * conffiles, whose sums dpkg keeps itself) and the maintainer scripts from packaging/debian/.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Architecture } from './architectures.ts';

export const MAINTAINER_SCRIPTS = ['postinst', 'prerm', 'postrm'] as const;

export interface ControlFields {
  readonly version: string;
  readonly arch: Architecture;
  readonly maintainer: string;
  readonly installedSizeKiB: number;
}

/**
 * Depends: what the bundled Node binary links against (glibc 2.28 symbols at most, libstdc++ with
 * GLIBCXX_3.4.21, libgcc_s) and adduser for the maintainer scripts. deb-systemd-helper comes from
 * init-system-helpers, which is Essential.
 */
const DEPENDS = 'adduser, libc6 (>= 2.28), libgcc-s1 | libgcc1, libstdc++6 (>= 5.2)';

export function controlFile(fields: ControlFields): string {
  return [
    'Package: fieldbridge',
    `Version: ${fields.version}`,
    `Architecture: ${fields.arch.deb}`,
    `Maintainer: ${fields.maintainer}`,
    `Installed-Size: ${fields.installedSizeKiB}`,
    `Depends: ${DEPENDS}`,
    'Section: net',
    'Priority: optional',
    'Description: industrial IoT edge gateway: Modbus and OPC UA to MQTT',
    ' fieldbridge polls PLCs over Modbus TCP, Modbus RTU (serial lines and serial',
    ' servers) and OPC UA, turns registers and nodes into typed JSON with',
    ' tag-mapping files, keeps every message in an on-disk queue (LevelDB) and',
    ' publishes it to an MQTT broker with QoS 1 over TLS, deleting it only once',
    ' the broker has acknowledged it.',
    ' .',
    ' It runs as a hardened systemd service with health checks, Prometheus',
    ' metrics and a status page. The package bundles its own Node.js 24 runtime',
    ' and every library it needs, so it installs without network access.',
    '',
  ].join('\n');
}

/** Installed-Size in KiB for the tree below `root` (DEBIAN/ excluded). */
export async function installedSizeKiB(root: string): Promise<number> {
  let total = 0;
  for (const path of await walk(root)) {
    const info = await lstat(path);
    total += info.isFile() ? Math.ceil(info.size / 1024) : 1;
  }
  return total;
}

/** Every entry below `root` except DEBIAN/, sorted. */
export async function walk(root: string, dir = root): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (dir === root && entry.name === 'DEBIAN') continue;
    paths.push(path);
    if (entry.isDirectory()) paths.push(...(await walk(root, path)));
  }
  return paths.sort();
}

async function md5Of(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface ControlArea {
  readonly root: string;
  readonly fields: Omit<ControlFields, 'installedSizeKiB'>;
  /** Absolute target paths, e.g. /etc/fieldbridge/gateway.json. */
  readonly conffiles: readonly string[];
  /** packaging/debian */
  readonly scriptsDir: string;
}

export async function writeControlArea(area: ControlArea): Promise<number> {
  const debian = join(area.root, 'DEBIAN');
  await mkdir(debian, { recursive: true });
  const installedSize = await installedSizeKiB(area.root);
  await writeFile(join(debian, 'control'), controlFile({ ...area.fields, installedSizeKiB: installedSize }));
  await writeFile(join(debian, 'conffiles'), `${area.conffiles.join('\n')}\n`);

  const conffiles = new Set(area.conffiles);
  const sums: string[] = [];
  for (const path of await walk(area.root)) {
    const target = `/${relative(area.root, path)}`;
    if ((await lstat(path)).isFile() && !conffiles.has(target))
      sums.push(`${await md5Of(path)}  ${target.slice(1)}`);
  }
  await writeFile(join(debian, 'md5sums'), `${sums.join('\n')}\n`);

  for (const script of MAINTAINER_SCRIPTS)
    await copyFile(join(area.scriptsDir, script), join(debian, script));
  return installedSize;
}

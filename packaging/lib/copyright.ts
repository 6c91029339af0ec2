/**
 * /usr/share/doc/fieldbridge/copyright (machine-readable format): fieldbridge itself, the bundled
 * Node.js runtime, and every npm package in the package's node_modules with the licence its
 * package.json declares. Each of those keeps its own licence file in place. A package that declares no
 * licence fails the build unless it is listed in KNOWN_LICENSES after someone checked it by hand.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LAYOUT } from './layout.ts';

/** Packages whose package.json has no `license`, checked by hand. */
const KNOWN_LICENSES: Readonly<Record<string, string>> = {
  // Its README ends: "free to use under the terms of the MIT license".
  'precond@0.2.3': 'MIT',
};

interface BundledPackage {
  readonly id: string;
  /** Where it is, relative to node_modules (nested copies have their own entry). */
  readonly path: string;
  readonly license: string;
}

export async function bundledPackages(nodeModules: string): Promise<BundledPackage[]> {
  const found: BundledPackage[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        await visit(path);
        continue;
      }
      const manifest = JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        license?: unknown;
        licenses?: unknown;
      };
      const id = `${manifest.name}@${manifest.version}`;
      const license = licenseOf(id, manifest.license ?? manifest.licenses);
      found.push({ id, path: relative(nodeModules, path), license });
      await visit(join(path, 'node_modules'));
    }
  };
  await visit(nodeModules);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

function licenseOf(id: string, declared: unknown): string {
  if (typeof declared === 'string' && declared.trim() !== '') return declared.trim();
  const type = (declared as { type?: unknown } | undefined)?.type;
  if (typeof type === 'string') return type;
  const known = KNOWN_LICENSES[id];
  if (known === undefined) {
    throw new Error(
      `${id} declares no licence in its package.json: check it by hand and add it to KNOWN_LICENSES in packaging/lib/copyright.ts`,
    );
  }
  return known;
}

/** `year`: of the sources the package is built from. */
export function copyrightFile(packages: readonly BundledPackage[], year: number): string {
  const byLicense = new Map<string, string[]>();
  for (const pkg of packages) byLicense.set(pkg.license, [...(byLicense.get(pkg.license) ?? []), pkg.path]);
  const stanzas = [
    [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      'Upstream-Name: fieldbridge',
      `Comment: The package bundles the Node.js runtime (${LAYOUT.runtime}) and the npm packages`,
      ` fieldbridge depends on (${LAYOUT.app}/node_modules), each with its licence file in place.`,
    ],
    ['Files: *', `Copyright: ${year} the fieldbridge authors`, 'License: Apache-2.0'],
    [
      `Files: ${LAYOUT.runtime.slice(1)}/*`,
      'Copyright: Node.js contributors and the authors of the software Node.js includes',
      'License: Expat and others',
      ` Node.js is under the MIT (Expat) licence; ${LAYOUT.runtime}/LICENSE has it with`,
      ' the licences of every library Node.js includes (V8, OpenSSL, libuv, ICU, zlib and others).',
    ],
    ...[...byLicense.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([license, paths]) => [
        `Files: ${paths.map((path) => `${LAYOUT.app.slice(1)}/node_modules/${path}/*`).join('\n ')}`,
        'Copyright: the authors of each package, as named in its own files',
        `License: ${license}`,
        ' The full text is in each package directory (LICENSE or similar file).',
      ]),
    [
      'License: Apache-2.0',
      ' On Debian systems, the full text of the Apache License version 2.0 can be found in',
      ' /usr/share/common-licenses/Apache-2.0.',
    ],
  ];
  return `${stanzas.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

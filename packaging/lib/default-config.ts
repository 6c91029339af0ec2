/**
 * The default configuration the package installs in /etc/fieldbridge (dpkg conffiles: an edited file
 * is kept on upgrade): the example gateway config and the example mapping files, as
 * systemd/install.sh installs them. Mapping paths are made relative to /etc/fieldbridge and `$schema`
 * points at the schemas in the installed code, so editors keep validating. The text is changed with
 * targeted replacements, not re-serialised, so its layout stays as written.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { LAYOUT } from './layout.ts';

const EXAMPLE_CONFIG = 'gateway/config/examples/gateway.json';
const EXAMPLE_MAPPINGS = 'mappings/examples';

/** Writes gateway.json and mappings/*.json below `etcDir`; returns the conffiles (target paths). */
export async function writeDefaultConfig(repo: string, etcDir: string): Promise<string[]> {
  const mappings = (await readdir(join(repo, EXAMPLE_MAPPINGS)))
    .filter((name) => name.endsWith('.json'))
    .sort();
  const conffiles = [`${LAYOUT.etc}/gateway.json`];

  const config = (await readFile(join(repo, EXAMPLE_CONFIG), 'utf8'))
    .replaceAll('"../../../mappings/examples/', '"mappings/')
    .replace(/"\$schema": *"[^"]*"/, `"$schema": "${LAYOUT.app}/gateway/config/gateway.schema.json"`);
  assertMappingsShipped(config, mappings);
  await writeFile(join(etcDir, 'gateway.json'), config);

  for (const name of mappings) {
    const mapping = (await readFile(join(repo, EXAMPLE_MAPPINGS, name), 'utf8')).replace(
      /"\$schema": *"\.\.\/([^"/]+)"/,
      `"$schema": "${LAYOUT.app}/mappings/$1"`,
    );
    await writeFile(join(etcDir, 'mappings', name), mapping);
    conffiles.push(`${LAYOUT.etc}/mappings/${name}`);
  }
  return conffiles;
}

/** Every mapping the default config names must be one of the mapping files installed beside it. */
function assertMappingsShipped(configText: string, mappings: readonly string[]): void {
  const config = JSON.parse(configText) as { devices?: { mapping?: string }[] };
  for (const device of config.devices ?? []) {
    const mapping = device.mapping ?? '';
    if (!mapping.startsWith('mappings/') || !mappings.includes(basename(mapping))) {
      throw new Error(`${EXAMPLE_CONFIG}: mapping "${mapping}" is not one of ${EXAMPLE_MAPPINGS}/*.json`);
    }
  }
}

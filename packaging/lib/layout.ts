/**
 * Where the .deb puts things (FHS): code under /usr/lib, config under /etc, the queue under /var/lib.
 * One table for the build, the maintainer scripts' paths (packaging/debian/*) and the tests.
 */
export const LAYOUT = {
  /** The application: bin/, gateway/, drivers/, mappings/, package.json, node_modules/. */
  app: '/usr/lib/fieldbridge',
  /** The bundled Node.js runtime's directory (bin/node, LICENSE). */
  runtime: '/usr/lib/fieldbridge/node',
  node: '/usr/lib/fieldbridge/node/bin/node',
  /** The command on the PATH: runs the CLI on the bundled Node. */
  command: '/usr/bin/fieldbridge',
  etc: '/etc/fieldbridge',
  unit: '/usr/lib/systemd/system/fieldbridge.service',
  doc: '/usr/share/doc/fieldbridge',
  manPage: '/usr/share/man/man1/fieldbridge.1.gz',
  lintianOverrides: '/usr/share/lintian/overrides/fieldbridge',
  /** The unit's StateDirectory (the queue); created by postinst too, for commands run by hand. */
  state: '/var/lib/fieldbridge',
  /** The unit's CacheDirectory (Node's compile cache). */
  cache: '/var/cache/fieldbridge',
} as const;

/** The source checkout's install location (systemd/install.sh), which the unit file is written for. */
export const SOURCE_INSTALL_DIR = '/opt/fieldbridge';

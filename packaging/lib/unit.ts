/**
 * The packaged unit is systemd/fieldbridge.service, the one file for both install routes, with the
 * source install's paths (/opt/fieldbridge, Node in node_modules/.bin) changed to the package's. Any
 * /opt path left afterwards fails the build rather than shipping a unit that points nowhere.
 */
import { LAYOUT, SOURCE_INSTALL_DIR } from './layout.ts';

export function packagedUnit(sourceUnit: string): string {
  const unit = sourceUnit
    .replaceAll(`${SOURCE_INSTALL_DIR}/node_modules/.bin/node`, LAYOUT.node)
    .replaceAll(`file:${SOURCE_INSTALL_DIR}/docs/`, `file:${LAYOUT.doc}/docs/`)
    .replaceAll(SOURCE_INSTALL_DIR, LAYOUT.app);
  const left = unit.split('\n').find((line) => line.includes('/opt/') && !line.startsWith('#'));
  if (left !== undefined) throw new Error(`systemd/fieldbridge.service: unexpected /opt path left: ${left}`);
  if (!unit.includes(`ExecStart=${LAYOUT.node} `)) {
    throw new Error(
      `systemd/fieldbridge.service: ExecStart does not start ${LAYOUT.node} after the path change`,
    );
  }
  return unit;
}

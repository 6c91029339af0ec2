/**
 * What Debian expects beside the program: a changelog for the version (gzip -9, no name or time in the
 * header, so builds are reproducible) and a manual page. The manual page is made from
 * `fieldbridge --help` at build time, so the two can never disagree about the commands.
 */
import { gzipSync } from 'node:zlib';
import { LAYOUT } from './layout.ts';

export interface ChangelogEntry {
  readonly version: string;
  readonly maintainer: string;
  /** Seconds since the epoch (SOURCE_DATE_EPOCH). */
  readonly date: number;
  /** The git commit the package was built from, when known. */
  readonly commit: string | undefined;
}

export function gzipForDebian(text: string): Buffer {
  return gzipSync(Buffer.from(text), { level: 9 });
}

export function changelog(entry: ChangelogEntry): string {
  const from =
    entry.commit === undefined ? 'the fieldbridge sources' : `fieldbridge git commit ${entry.commit}`;
  return [
    `fieldbridge (${entry.version}) unstable; urgency=medium`,
    '',
    `  * Built from ${from}.`,
    "    The project's changes are in its git history.",
    '',
    ` -- ${entry.maintainer}  ${rfc2822(entry.date)}`,
    '',
  ].join('\n');
}

/** e.g. "Tue, 02 Dec 2025 04:00:00 +0000", the date format of debian/changelog. */
function rfc2822(epochSeconds: number): string {
  const utc = new Date(epochSeconds * 1000).toUTCString(); // "Tue, 02 Dec 2025 04:00:00 GMT"
  return utc.replace(/GMT$/, '+0000');
}

/** Text for a roff line: backslashes and minus signs escaped, non-ASCII as \[uXXXX], no leading dot. */
function roff(text: string): string {
  const escaped = text
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .replace(
      /[^\x20-\x7e]/gu,
      (char) => `\\[u${char.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}]`,
    );
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

export function manPage(usage: string, version: string, epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000).toISOString().slice(0, 10);
  return [
    `.TH FIELDBRIDGE 1 "${date}" "fieldbridge ${version}" "User Commands"`,
    '.SH NAME',
    'fieldbridge \\- Modbus and OPC UA to MQTT edge gateway with store\\-and\\-forward',
    '.SH SYNOPSIS',
    '.B fieldbridge',
    '.I command',
    '.RI [ options ]',
    '.SH DESCRIPTION',
    'fieldbridge polls PLCs over Modbus TCP, Modbus RTU and OPC UA, turns registers and nodes into typed',
    'JSON with tag\\-mapping files, keeps every message in an on\\-disk queue and publishes it to an MQTT',
    'broker with QoS 1, deleting it only once the broker has acknowledged it.',
    'The service runs as the systemd unit',
    '.BR fieldbridge.service .',
    '.PP',
    'The commands, as',
    '.B fieldbridge \\-\\-help',
    'prints them:',
    '.PP',
    '.nf',
    ...usage.trimEnd().split('\n').map(roff),
    '.fi',
    '.SH FILES',
    '.TP',
    `.I ${LAYOUT.etc}/gateway.json`,
    "the service's configuration; mapping paths in it are relative to its directory",
    '.TP',
    `.I ${LAYOUT.etc}/mappings/`,
    'tag\\-mapping files',
    '.TP',
    `.I ${LAYOUT.etc}/credentials/`,
    'secrets, handed to the service with systemd credentials',
    '.TP',
    `.I ${LAYOUT.state}`,
    'the on\\-disk queue and other state',
    '.SH SEE ALSO',
    '.BR systemctl (1),',
    '.BR journalctl (1);',
    `${roff(`${LAYOUT.doc}/README.md`)} and ${roff(`${LAYOUT.doc}/docs/operations.md`)}.`,
    '',
  ].join('\n');
}

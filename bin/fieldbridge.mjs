#!/usr/bin/env node
// fieldbridge runs its TypeScript sources directly with Node's type stripping (Node ≥ 22.18; the target
// is Node 24 LTS). Plain JavaScript here so that an older node prints a clear message instead of a
// syntax error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `fieldbridge needs Node.js 24 LTS (found ${process.version}). Run it through npm (\`npm run demo\`, \`npx fieldbridge …\`), which uses the Node 24 installed in node_modules, or install Node 24.`,
  );
  process.exit(1);
}
await tuneHeap();
await enableCompileCache();
const { main } = await import('../gateway/cli.ts');
process.exitCode = await main(process.argv.slice(2));

/**
 * Node's module compile cache keeps V8's code cache of every module, and of the JavaScript that type
 * stripping made of each .ts file, so a start after the first skips most of that work (cold start: see
 * docs/operations.md). Where: $NODE_COMPILE_CACHE (Node enables it itself before this runs), else the
 * systemd unit's CacheDirectory ($CACHE_DIRECTORY), else Node's default (<tmpdir>/node-compile-cache).
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. Best effort: a directory that cannot be written only means
 * no cache, never a failed start.
 */
async function enableCompileCache() {
  try {
    const module = await import('node:module');
    if (typeof module.enableCompileCache !== 'function') return;
    const cacheDirectory = process.env.CACHE_DIRECTORY?.split(':')[0];
    module.enableCompileCache(
      process.env.NODE_COMPILE_CACHE || !cacheDirectory ? undefined : `${cacheDirectory}/node-compile-cache`,
    );
  } catch {
    // No cache: the start is only slower.
  }
}

/**
 * The old generation is collected when it reaches 1.5 × what survived the last full GC, instead of V8's
 * adaptive factor of up to 4 × (tuned for short runs with a large heap). Under the ~10k messages/s of
 * issue 7's S4 the live heap is ~45 MB; V8's default let it grow to ~140 MB between full GCs. Costs ~1% of
 * a core in extra full GCs (docs/operations.md, "Memory"). A V8 flag that is read at every GC, so it
 * takes effect when set here; the young generation's size is not (it is fixed when the heap is set up),
 * so the systemd unit passes --max-semi-space-size on the command line. An explicit
 * --heap-growing-percent on node's command line wins.
 */
async function tuneHeap() {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--heap-growing-percent=50');
}

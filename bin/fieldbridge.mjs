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
const { main } = await import('../gateway/cli.ts');
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// The installed command runs the compiled CLI in out/cli (scripts/build-cli.mjs;
// `npm ci`, `npm start` and `npm test` build it). Tests run this same file.
const MAIN = new URL('../out/cli/main.js', import.meta.url);
let cli;
try {
  cli = await import(MAIN.href);
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || err.url !== MAIN.href) throw err;
  process.stderr.write('iommu-lab: the command is not built yet; run `npm run build:cli` (npm ci does it)\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));

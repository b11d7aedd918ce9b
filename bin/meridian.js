#!/usr/bin/env node
// Entry for `npx meridian` and the npm scripts. The CLI is TypeScript run as it is: Node strips
// the types itself (no loader, no build step), which it does without a flag from Node 22.18 and
// 23.6 on. npm scripts and npx use the Node 24 that `npm install` puts in node_modules/.bin; an
// older `node bin/meridian.js` is told once instead of failing on the first `.ts` import.
// https://nodejs.org/api/typescript.html#type-stripping
if (!process.features.typescript) {
  console.error(
    `meridian: this Node (${process.versions.node}) does not strip TypeScript types; Meridian needs Node 22.18+ or 23.6+, without --no-experimental-strip-types. ` +
      'Run it as `npx meridian …` or `npm start` (they use the Node 24 installed in node_modules/.bin)',
  );
  process.exit(1);
}

const { main } = await import('../src/cli/main.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(e);
  process.exitCode = 1;
}

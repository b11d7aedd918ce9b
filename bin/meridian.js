#!/usr/bin/env node
// Entry for `npx meridian` and the npm scripts: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

// package.json's engines say Node 22.12+ (jsforce and others declare it). npm scripts and
// npx use the Node 24 that `npm install` puts in node_modules/.bin; a plain `node bin/meridian.js`
// on an older system Node is told once instead of failing later in some dependency.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`meridian: Node ${process.versions.node} is older than the 22.12 Meridian needs; run it as \`npx meridian …\` or \`npm start\` (they use the Node 24 installed in node_modules/.bin)`);
}

register();
const { main } = await import('../src/cli/main.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(e);
  process.exitCode = 1;
}

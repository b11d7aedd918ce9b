// Preloaded (`node --import ./test/support/forbid-tsx.ts …`) by tests that prove the CLI needs no
// TypeScript loader: resolving tsx (or anything under node_modules/tsx) throws, so a run that
// still depends on it fails loudly instead of passing on a loader that happens to be installed.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (/^tsx(\/|$)/.test(specifier)) throw new Error(`tsx is not to be loaded at run time (imported as ${specifier})`);
    const resolved = nextResolve(specifier, context);
    if (resolved.url.includes('/node_modules/tsx/')) throw new Error(`tsx is not to be loaded at run time (${resolved.url})`);
    return resolved;
  },
});

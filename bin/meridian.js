#!/usr/bin/env node
// Entry for `npx meridian`: runs the TypeScript CLI through tsx on the Node that npm put first on PATH.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');

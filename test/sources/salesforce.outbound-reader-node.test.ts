// The Outbound Message reader's worker thread starts under every Node that can run the CLI, not
// only the one vitest runs on: `node bin/meridian.js serve` with a system Node 20 once answered
// every Outbound Message 500 ("Unknown file extension .ts" from the worker). Each Node found here
// (this process's, and every `node` on PATH) that strips TypeScript types (22.18+, 23.6+) runs a
// child, with no loader at all, that reads one message through createOutboundXmlReader; a Node
// that cannot is refused by bin/meridian.js with one line (test/cli-no-loader.test.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const READER = new URL('../../src/sources/salesforce/outbound-reader.ts', import.meta.url).href;
const ENVELOPE =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>' +
  '<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>00D000000000001AAA</OrganizationId>' +
  '<Notification><Id>04l000000000001AAA</Id><sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>001000000000001AAA</sf:Id></sObject></Notification>' +
  '</notifications></soapenv:Body></soapenv:Envelope>';
const SCRIPT = `
const { createOutboundXmlReader } = await import(${JSON.stringify(READER)});
const reader = createOutboundXmlReader();
try { console.log(JSON.stringify(await reader.read(process.env.ENVELOPE))); } finally { await reader.close(); }
`;

/** Every distinct Node binary that strips types: this process's and each `node` on PATH. */
function nodes(): string[] {
  const found = new Set([realpathSync(process.execPath)]);
  try {
    for (const p of execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n')) if (p.trim()) found.add(realpathSync(p.trim()));
  } catch {
    // no `which`, or no node on PATH: this process's Node alone
  }
  return [...found].filter((node) => execFileSync(node, ['-p', 'Boolean(process.features.typescript)'], { encoding: 'utf8' }).trim() === 'true');
}

describe('Outbound Message reader worker', () => {
  // A file, not `-e`: a worker inherits the parent's execArgv, and `--input-type` is refused there.
  const script = join(mkdtempSync(join(tmpdir(), 'meridian-outbound-')), 'read-one.mjs');
  writeFileSync(script, SCRIPT);
  for (const node of nodes()) {
    it(`reads an Outbound Message on its worker thread under ${node}, with no TypeScript loader`, () => {
      const run = spawnSync(node, [script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, ENVELOPE, NODE_OPTIONS: '' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toMatchObject({
        organizationId: '00D000000000001AAA',
        notifications: [{ id: '04l000000000001AAA', type: 'Account', recordId: '001000000000001AAA' }],
      });
    });
  }
});

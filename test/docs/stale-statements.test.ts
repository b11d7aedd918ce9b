// Statements the docs and help texts once made that stopped being true (issue 8, item 19).
// Each is pinned here so it cannot come back; the command blocks are pinned by
// command-blocks.test.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { projectMarkdownFiles } from '../support/markdown-blocks.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (f: string): string => readFileSync(`${ROOT}/${f}`, 'utf8');

describe('stale statements', () => {
  it('backfill --help describes the matcher the backfill runs, not one that "comes with identity resolution"', async () => {
    const r = await runCli(['backfill', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/comes with/);
    expect(r.stdout).toMatch(/matcher/);
    expect(r.stdout).toMatch(/review/);
  });

  it('no doc claims a feature that is not built', () => {
    const claims: [RegExp, string][] = [
      [/streams sync status live/, 'there is no sync status stream'],
      [/[Nn]ot wired into the backfill/, 'the backfill runs the customer matcher'],
      [/GENUINE conflicts go to the review queue/, 'only POSSIBLE_DUPLICATE review items exist'],
      [/no writes yet \(`writer\.ts`, `webhook\.ts`\)/, 'webhook.ts exists; writes are not built'],
      [/`\/metrics` endpoint (named in the contract )?is not built|no `\/metrics` endpoint yet/, '/metrics is built (docs/operations.md)'],
      [/an `EBADENGINE` warning\s+for this package/, 'npm ci on Node 20 prints 14 EBADENGINE warnings for 7 packages'],
      [/no authentication yet|until authentication exists|once there is\s+authentication|actor `api`|actor api\b|by api at/, 'the audit records the key name or token subject (docs/access.md)'],
      [/none is\s+written yet/, 'Salesforce, Stripe and Zendesk are written back (docs/sync.md)'],
      [/`first` defaults to 10, at most 50/, 'searchCustomers takes first from 0 to 100'],
      [/show after the next backfill/, 'ERP changes are polled (docs/sync.md)'],
      [/No change polling/, 'every connector has a change feed (feed.ts, docs/sync.md)'],
      [/`WRITABLE` \(none yet\)/, 'Salesforce, Stripe and Zendesk are writable'],
      [/Not yet: the `reviewQueueChanged` subscription/, 'reviewQueueChanged is built'],
    ];
    const files = [...projectMarkdownFiles(ROOT), 'schema/customer.graphql', 'schema/identity.graphql'];
    const found = files.flatMap((f) => claims.filter(([re]) => re.test(read(f))).map(([re, why]) => `${f}: ${re.source} (${why})`));
    expect(found).toEqual([]);
  });
});

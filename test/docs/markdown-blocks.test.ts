// The convention the docs test relies on: which blocks exist, how they are marked, how a
// shell block splits into commands, and how placeholders and ports are filled.
import { describe, expect, it } from 'vitest';
import { fencedBlocks, fillPlaceholders, retarget, splitCommands } from '../support/markdown-blocks.ts';

describe('fencedBlocks', () => {
  it('reads the language and the marker on the line before the fence, indented fences included', () => {
    const md = [
      '<!-- docs-test: run -->',
      '```sh',
      'curl -s localhost:4000/healthz',
      '```',
      '',
      '1. A list',
      '   ```',
      '   output',
      '   ```',
      '<!-- docs-test: skip: needs your Stripe account -->',
      '```bash',
      'stripe listen',
      '```',
      '<!-- docs-test: sometimes -->',
      '```sh',
      'true',
      '```',
    ].join('\n');
    const blocks = fencedBlocks('x.md', md);
    expect(blocks.map((b) => [b.line, b.lang, b.marker])).toEqual([
      [2, 'sh', { kind: 'run', errorsExpected: false }],
      [7, '', null],
      [11, 'bash', { kind: 'skip', reason: 'needs your Stripe account' }],
      [15, 'sh', { kind: 'invalid', text: 'sometimes' }],
    ]);
    expect(blocks[0]!.body).toBe('curl -s localhost:4000/healthz');
    expect(blocks[1]!.body).toBe('output');
  });
});

describe('splitCommands', () => {
  it('keeps a command whole across quoted newlines and backslash continuations, and drops comments', () => {
    const block = [
      '# a comment',
      "curl -s localhost:4402/v1/customers -u sk: \\",
      '  -d name="Keel # Bay"        # → "id": "cus_…"',
      "curl -s localhost:4000/graphql -d '{\"query\":",
      '  "{ x(a: \\"b\\") }"}\'',
      '',
    ].join('\n');
    expect(splitCommands(block)).toEqual([
      'curl -s localhost:4402/v1/customers -u sk:    -d name="Keel # Bay"',
      "curl -s localhost:4000/graphql -d '{\"query\":\n  \"{ x(a: \\\"b\\\") }\"}'",
    ]);
  });

  it('refuses a block with an unterminated quote', () => {
    expect(() => splitCommands("echo 'open")).toThrow(/unterminated ' quote/);
  });
});

describe('fillPlaceholders', () => {
  it('fills cus_… with the newest id of that prefix from earlier output, and names what it cannot fill', () => {
    const outputs = ['{"id":"cus_old1"}', '{"object":"customer","id":"cus_new2"}'];
    expect(fillPlaceholders('externalId: \\"cus_…\\"', outputs)).toEqual({ command: 'externalId: \\"cus_new2\\"', missing: [] });
    expect(fillPlaceholders('ticket tkt_… here', outputs)).toEqual({ command: 'ticket tkt_… here', missing: ['tkt_'] });
  });
});

describe('retarget', () => {
  it('moves the contract ports to where the test runs, and leaves other ports alone', () => {
    expect(retarget('curl localhost:4000/graphql http://127.0.0.1:4402/v1 localhost:5432', { 4000: 61000, 4402: 61002 })).toBe(
      'curl 127.0.0.1:61000/graphql http://127.0.0.1:61002/v1 localhost:5432',
    );
  });
});

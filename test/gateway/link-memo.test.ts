// The link memo as data: what it keeps, how it is bounded, and how it is filled page by page.
import { describe, expect, it } from 'vitest';
import { LinkMemo, accountRefsOf, preloadLinkMemo, sameRefs, type AccountRef } from '../../src/gateway/link-memo.ts';
import type { AccountLinkPage, IdentityLink } from '../../src/identity/links.ts';

const ref = (system: AccountRef['system'], externalId: string): AccountRef => ({ system, externalId });

const link = (system: IdentityLink['system'], recordType: string, externalId: string): IdentityLink => ({
  system,
  recordType,
  externalId,
  goldenId: 'gc_1',
  confidence: 1,
  rule: 'email',
  explanation: {},
  origin: 'auto',
  linkedAt: '2026-12-06T00:00:00.000Z',
  updatedAt: '2026-12-06T00:00:00.000Z',
});

describe('link memo', () => {
  it('gives back what it was told, in the order it was told', () => {
    const memo = new LinkMemo(10);
    const refs = [ref('erp', 'C-1'), ref('salesforce', '001A'), ref('stripe', 'cus_1'), ref('stripe', 'cus_2')];
    memo.remember('gc_1', refs);
    expect(memo.guess('gc_1')).toEqual(refs);
    expect(memo.guess('gc_2')).toBeUndefined();
    memo.remember('gc_2', []);
    expect(memo.guess('gc_2')).toEqual([]);
  });

  it('keeps ids with any characters but its separators, and never guesses a customer whose id holds one', () => {
    const memo = new LinkMemo(10);
    const odd = [ref('zendesk', 'a b|c:d\u0000é'), ref('erp', '')];
    memo.remember('gc_1', odd);
    expect(memo.guess('gc_1')).toEqual(odd);
    memo.remember('gc_1', [ref('erp', 'x\u001fy')]);
    expect(memo.guess('gc_1')).toBeUndefined(); // the older entry is gone too: it is not what Postgres says now
  });

  it('drops the customer remembered longest ago past its bound, and keeps nothing at 0', () => {
    const memo = new LinkMemo(2);
    memo.remember('gc_1', [ref('erp', '1')]);
    memo.remember('gc_2', [ref('erp', '2')]);
    memo.remember('gc_1', [ref('erp', '1b')]); // told again: now the newest
    memo.remember('gc_3', [ref('erp', '3')]);
    expect(memo.guess('gc_2')).toBeUndefined();
    expect(memo.guess('gc_1')).toEqual([ref('erp', '1b')]);
    expect(memo.stats()).toEqual({ size: 2, max: 2 });
    const off = new LinkMemo(0);
    off.remember('gc_1', [ref('erp', '1')]);
    expect(off.guess('gc_1')).toBeUndefined();
    expect(() => new LinkMemo(-1)).toThrow(/max must be a whole number of customers, 0 or more, got -1/);
  });

  it('leaves a newer entry alone when asked only to fill, and forgets an id', () => {
    const memo = new LinkMemo(10);
    memo.remember('gc_1', [ref('erp', 'new')]);
    memo.remember('gc_1', [ref('erp', 'old')], { onlyIfAbsent: true });
    expect(memo.guess('gc_1')).toEqual([ref('erp', 'new')]);
    memo.forget('gc_1');
    expect(memo.guess('gc_1')).toBeUndefined();
  });

  it('takes only account links, sorted, and compares guesses by record', () => {
    const refs = accountRefsOf([link('stripe', 'customer', 'cus_2'), link('salesforce', 'Contact', '003A'), link('salesforce', 'Account', '001A'), link('stripe', 'customer', 'cus_1')]);
    expect(refs).toEqual([ref('salesforce', '001A'), ref('stripe', 'cus_1'), ref('stripe', 'cus_2')]);
    expect(sameRefs(refs, [ref('salesforce', '001A'), ref('stripe', 'cus_1'), ref('stripe', 'cus_2')])).toBe(true);
    expect(sameRefs(refs, [ref('salesforce', '001A'), ref('stripe', 'cus_1')])).toBe(false);
    expect(sameRefs(refs, [ref('salesforce', '001A'), ref('stripe', 'cus_1'), ref('stripe', 'cus_3')])).toBe(false);
  });
});

describe('filling the link memo', () => {
  /** A store of `n` customers (gc_0001…), each linked to one ERP record, read in pages; `asked` records each page's `after`. */
  const pages = (n: number): { identity: { accountLinkPage(after: string | null, limit: number): Promise<AccountLinkPage> }; asked: (string | null)[] } => {
    const all = Array.from({ length: n }, (_, i) => ({ goldenId: `gc_${String(i + 1).padStart(4, '0')}`, refs: [ref('erp', `C-${i + 1}`)] }));
    const asked: (string | null)[] = [];
    return {
      asked,
      identity: {
        accountLinkPage: (after, limit) => {
          asked.push(after);
          const rest = all.filter((c) => after === null || c.goldenId > after).slice(0, limit);
          return Promise.resolve({ customers: rest, next: rest.length === limit ? rest.at(-1)!.goldenId : null });
        },
      },
    };
  };

  it('reads every customer page by page', async () => {
    const memo = new LinkMemo(100);
    const { identity, asked } = pages(25);
    expect(await preloadLinkMemo(memo, identity, { pageSize: 10 })).toBe(25);
    expect(asked).toEqual([null, 'gc_0010', 'gc_0020']);
    expect(memo.guess('gc_0025')).toEqual([ref('erp', 'C-25')]);
  });

  it('stops when the memo is full, and keeps what builds remembered meanwhile', async () => {
    const memo = new LinkMemo(12);
    memo.remember('gc_0003', [ref('erp', 'moved')]);
    const { identity, asked } = pages(1_000);
    expect(await preloadLinkMemo(memo, identity, { pageSize: 10 })).toBe(12);
    expect(asked).toEqual([null, 'gc_0010']);
    expect(memo.guess('gc_0003')).toEqual([ref('erp', 'moved')]);
  });

  it('stops when the gateway closes', async () => {
    const memo = new LinkMemo(1_000);
    const stop = new AbortController();
    const { identity, asked } = pages(100);
    const reading = identity.accountLinkPage.bind(identity);
    identity.accountLinkPage = (after, limit) => {
      stop.abort();
      return reading(after, limit);
    };
    await preloadLinkMemo(memo, identity, { pageSize: 10, signal: stop.signal });
    expect(asked).toEqual([null]);
  });
});

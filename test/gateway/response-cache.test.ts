// The whole-response cache: entries tagged by the customers they used, dropped with them.
import { describe, expect, it } from 'vitest';
import { ResponseCache, withResponseCache } from '../../src/gateway/response-cache.ts';
import { createMemoryCache } from '../../src/cache/index.ts';

const res = (body: string): { body: string; contentType: string } => ({ body, contentType: 'application/json' });

describe('response cache', () => {
  it('keys by media type, operation, variables and text', () => {
    const a = ResponseCache.key('application/json', '{ a }', null, { id: 1 });
    expect(ResponseCache.key('application/json', '{ a }', null, { id: 2 })).not.toBe(a);
    expect(ResponseCache.key('application/graphql-response+json', '{ a }', null, { id: 1 })).not.toBe(a);
    expect(ResponseCache.key('application/json', '{ a }', 'Op', { id: 1 })).not.toBe(a);
    expect(ResponseCache.key('application/json', '{ a }', null, { id: 1 })).toBe(a);
  });

  it('drops every response that used an invalidated customer, and only those', () => {
    const c = new ResponseCache({ ttlSeconds: 60 });
    c.store('k1', res('1'), ['gc_a']);
    c.store('k2', res('2'), ['gc_a', 'gc_b']);
    c.store('k3', res('3'), ['gc_c']);
    expect(c.invalidate(['gc_a'])).toBe(2);
    expect(c.lookup('k1')).toBeNull();
    expect(c.lookup('k2')).toBeNull();
    expect(c.lookup('k3')?.body).toBe('3');
    // k2's other tag no longer points at a dropped entry.
    expect(c.invalidate(['gc_b'])).toBe(0);
  });

  it('never keeps an answer that used no customer, and expires entries', () => {
    let now = 0;
    const c = new ResponseCache({ ttlSeconds: 1, now: () => now });
    c.store('none', res('x'), []);
    expect(c.lookup('none')).toBeNull();
    c.store('k', res('y'), ['gc_a']);
    now = 999;
    expect(c.lookup('k')?.body).toBe('y');
    now = 1000;
    expect(c.lookup('k')).toBeNull();
  });

  it('evicts the oldest entries beyond its size', () => {
    const c = new ResponseCache({ ttlSeconds: 60, maxEntries: 2 });
    c.store('a', res('a'), ['x']);
    c.store('b', res('b'), ['x']);
    c.store('c', res('c'), ['y']);
    expect(c.lookup('a')).toBeNull();
    expect(c.stats().entries).toBe(2);
  });

  it('follows the golden cache: invalidate and clear reach the responses, and invalidations are announced', async () => {
    const responses = new ResponseCache({ ttlSeconds: 60 });
    const announced: string[][] = [];
    const golden = withResponseCache(createMemoryCache<{ v: number }>(), responses, (ids) => {
      announced.push([...ids]);
      return Promise.resolve();
    });
    responses.store('k', res('1'), ['gc_a']);
    responses.store('j', res('2'), ['gc_b']);
    await golden.invalidate(['gc_a']);
    expect(responses.lookup('k')).toBeNull();
    expect(announced).toEqual([['gc_a']]);
    await golden.clear();
    expect(responses.lookup('j')).toBeNull();
  });
});

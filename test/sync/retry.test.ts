// The outbox's retry rules as data: what is retried, how long it waits, what Retry-After does.
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/resilience/index.ts';
import { SourceRateLimitedError, SourceUnavailableError } from '../../src/sources/errors.ts';
import { backoffMs, DEFAULT_RETRY, isRetryable, retryAfterMs } from '../../src/sync/outbox.ts';
import { nestPaths } from '../../src/sync/writer.ts';

const now = new Date('2026-12-01T00:00:00Z');

describe('outbox retries', () => {
  it('retry what may pass later, and not a refusal of the values', () => {
    expect(isRetryable(new SourceUnavailableError('stripe', 'down', { status: 503 }))).toBe(true);
    expect(isRetryable(new SourceUnavailableError('stripe', 'reset', { status: null }))).toBe(true);
    expect(isRetryable(new SourceRateLimitedError('stripe', 'slow down', 3, now))).toBe(true);
    expect(isRetryable(new CircuitOpenError('stripe', 1000))).toBe(true);
    expect(isRetryable(new SourceUnavailableError('stripe', 'invalid phone', { status: 400 }))).toBe(false);
    expect(isRetryable(new SourceUnavailableError('salesforce', 'gone', { status: 404 }))).toBe(false);
  });

  it('back off exponentially with jitter, capped, never sooner than Retry-After', () => {
    const policy = { ...DEFAULT_RETRY, baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, policy, () => 1, null))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3].map((n) => backoffMs(n, policy, () => 0, null))).toEqual([50, 100, 200]);
    expect(backoffMs(1, policy, () => 0.5, 5000)).toBe(5000);
    expect(retryAfterMs(new SourceRateLimitedError('zendesk', '429', 7, now))).toBe(7000);
    expect(retryAfterMs(new Error('wrapped', { cause: new SourceRateLimitedError('stripe', '429', 2, now) }))).toBe(2000);
    expect(retryAfterMs(new SourceUnavailableError('stripe', '503'))).toBeNull();
  });
});

describe('nestPaths', () => {
  it('turns dotted target paths into the nested body a system takes, null as its empty value', () => {
    expect(nestPaths({ phone: '+1', 'address.line1': 'a', 'address.line2': null }, '')).toEqual({ phone: '+1', address: { line1: 'a', line2: '' } });
  });
});

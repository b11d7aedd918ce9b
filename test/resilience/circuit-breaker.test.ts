import { describe, expect, it } from 'vitest';
import { CircuitOpenError, createCircuitBreaker, type CircuitState } from '../../src/resilience/circuit-breaker.ts';
import { createManualClock } from '../../src/resilience/clock.ts';

const ok = () => Promise.resolve('ok');
const boom = () => Promise.reject(new Error('boom'));

function setup(options: Parameters<typeof createCircuitBreaker>[0] = {}) {
  const clock = createManualClock(1_000_000);
  const transitions: [CircuitState, CircuitState][] = [];
  const breaker = createCircuitBreaker({ name: 'stripe', clock, onStateChange: (from, to) => transitions.push([from, to]), ...options });
  const fail = async (times: number) => {
    for (let i = 0; i < times; i++) await expect(breaker.exec(boom)).rejects.toThrow('boom');
  };
  return { clock, breaker, transitions, fail };
}

describe('circuit breaker', () => {
  it('stays closed below the threshold and passes results and errors through', async () => {
    const { breaker, fail } = setup({ failureThreshold: 3 });
    await fail(2);
    expect(breaker.state()).toBe('closed');
    await expect(breaker.exec(ok)).resolves.toBe('ok');
  });

  it('opens after failureThreshold consecutive failures; a success in between resets the count', async () => {
    const { breaker, fail, transitions } = setup({ failureThreshold: 3 });
    await fail(2);
    await breaker.exec(ok);
    await fail(2);
    expect(breaker.state()).toBe('closed');
    await fail(1);
    expect(breaker.state()).toBe('open');
    expect(transitions).toEqual([['closed', 'open']]);
  });

  it('defaults to 5 consecutive failures and a 10 s cooldown', async () => {
    const { breaker, fail, clock } = setup();
    await fail(4);
    expect(breaker.state()).toBe('closed');
    await fail(1);
    expect(breaker.state()).toBe('open');
    clock.advance(9_999);
    expect(breaker.state()).toBe('open');
    clock.advance(1);
    expect(breaker.state()).toBe('half-open');
  });

  it('fails fast while open: a typed CircuitOpenError, fn never called, retryAfterMs counts down', async () => {
    const { breaker, fail, clock } = setup({ failureThreshold: 1, cooldownMs: 5_000 });
    await fail(1);
    clock.advance(2_000);
    let called = false;
    const error = await breaker
      .exec(() => {
        called = true;
        return ok();
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', circuit: 'stripe', retryAfterMs: 3_000 });
    expect((error as Error).message).toBe('Circuit "stripe" is open; failing fast (retry in 3000 ms)');
  });

  it('half-open: a successful probe closes the circuit', async () => {
    const { breaker, fail, clock, transitions } = setup({ failureThreshold: 2, cooldownMs: 1_000 });
    await fail(2);
    clock.advance(1_000);
    await expect(breaker.exec(ok)).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(transitions).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
    // Closed again with a fresh count: one failure does not reopen it.
    await fail(1);
    expect(breaker.state()).toBe('closed');
  });

  it('half-open: a failed probe reopens the circuit for a full cooldown', async () => {
    const { breaker, fail, clock } = setup({ failureThreshold: 2, cooldownMs: 1_000 });
    await fail(2);
    clock.advance(1_500);
    await fail(1);
    expect(breaker.state()).toBe('open');
    clock.advance(999);
    await expect(breaker.exec(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    expect(breaker.state()).toBe('half-open');
  });

  it('half-open lets only halfOpenMaxCalls probes through at once; the rest fail fast', async () => {
    const { breaker, fail, clock } = setup({ failureThreshold: 1, cooldownMs: 1_000 });
    await fail(1);
    clock.advance(1_000);
    let release!: (v: string) => void;
    const probe = breaker.exec(() => new Promise<string>((resolve) => (release = resolve)));
    await expect(breaker.exec(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 0 });
    release('probed');
    await expect(probe).resolves.toBe('probed');
    expect(breaker.state()).toBe('closed');
  });

  it('with halfOpenMaxCalls > 1, closes only after that many probe successes', async () => {
    const { breaker, fail, clock } = setup({ failureThreshold: 1, cooldownMs: 1_000, halfOpenMaxCalls: 2 });
    await fail(1);
    clock.advance(1_000);
    await breaker.exec(ok);
    expect(breaker.state()).toBe('half-open');
    await breaker.exec(ok);
    expect(breaker.state()).toBe('closed');
  });

  it('ignores the outcome of calls that started before the state changed', async () => {
    const { breaker, fail, clock } = setup({ failureThreshold: 1, cooldownMs: 1_000 });
    let release!: (v: string) => void;
    const slow = breaker.exec(() => new Promise<string>((resolve) => (release = resolve)));
    await fail(1);
    expect(breaker.state()).toBe('open');
    release('late');
    await expect(slow).resolves.toBe('late');
    expect(breaker.state()).toBe('open');
    clock.advance(1_000);
    expect(breaker.state()).toBe('half-open');
  });

  it('errors that isFailure rejects do not count against the dependency', async () => {
    class NotFound extends Error {}
    const { breaker } = setup({ failureThreshold: 1, isFailure: (e) => !(e instanceof NotFound) });
    await expect(breaker.exec(() => Promise.reject(new NotFound('no such customer')))).rejects.toBeInstanceOf(NotFound);
    expect(breaker.state()).toBe('closed');
  });

  it('a function that throws synchronously counts as a failure and rejects', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    await expect(
      breaker.exec(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breaker.state()).toBe('open');
  });

  describe('failure rate over a window', () => {
    const rate = { rate: 0.5, windowMs: 10_000, minimumCalls: 4 };

    it('opens when the failure share reaches the rate once minimumCalls were made', async () => {
      const { breaker, fail } = setup({ failureThreshold: rate });
      await fail(1);
      await breaker.exec(ok);
      await fail(1);
      expect(breaker.state()).toBe('closed'); // 3 calls < minimumCalls
      await breaker.exec(ok);
      expect(breaker.state()).toBe('open'); // 2 of 4 failed
    });

    it('stays closed below the rate, however many failures in a row are spread among successes', async () => {
      const { breaker, fail } = setup({ failureThreshold: rate });
      for (let i = 0; i < 10; i++) {
        await breaker.exec(ok);
        await breaker.exec(ok);
        await fail(1);
      }
      expect(breaker.state()).toBe('closed');
    });

    it('forgets calls older than the window', async () => {
      const { breaker, fail, clock } = setup({ failureThreshold: rate });
      await fail(3);
      clock.advance(11_000);
      await breaker.exec(ok);
      await breaker.exec(ok);
      await breaker.exec(ok);
      await fail(1);
      expect(breaker.state()).toBe('closed'); // 1 of 4 in the window
    });
  });

  it('rejects nonsensical options with a message naming the option', () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow('failureThreshold must be an integer >= 1 (got 0)');
    expect(() => createCircuitBreaker({ halfOpenMaxCalls: 0 })).toThrow('halfOpenMaxCalls must be an integer >= 1 (got 0)');
    expect(() => createCircuitBreaker({ failureThreshold: { rate: 2, windowMs: 1, minimumCalls: 1 } })).toThrow('failureThreshold.rate must be in (0, 1] (got 2)');
  });
});

describe('circuit breaker and Retry-After', () => {
  class Refused extends Error {
    readonly retryAfterMs: number;
    constructor(retryAfterMs: number) {
      super('429');
      this.retryAfterMs = retryAfterMs;
    }
  }
  const retryAfterMs = (e: unknown): number | null => (e instanceof Refused ? e.retryAfterMs : null);

  it('opens at once on a failure that carries Retry-After, and stays open at least that long', async () => {
    const { breaker, clock } = setup({ failureThreshold: 5, cooldownMs: 1_000, retryAfterMs });
    await expect(breaker.exec(() => Promise.reject(new Refused(30_000)))).rejects.toThrow('429');
    expect(breaker.state()).toBe('open');
    // Past the cooldown but not past Retry-After: still open, and the error says how long is left.
    clock.advance(29_000);
    expect(breaker.state()).toBe('open');
    const refused = await breaker.exec(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).retryAfterMs).toBe(1_000);
    clock.advance(1_000);
    expect(breaker.state()).toBe('half-open');
    await expect(breaker.exec(ok)).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
  });

  it('keeps the cooldown when Retry-After is shorter than it', async () => {
    const { breaker, clock } = setup({ cooldownMs: 5_000, retryAfterMs });
    await expect(breaker.exec(() => Promise.reject(new Refused(1_000)))).rejects.toThrow('429');
    clock.advance(4_999);
    expect(breaker.state()).toBe('open');
    clock.advance(1);
    expect(breaker.state()).toBe('half-open');
  });
});

import { describe, expect, it } from 'vitest';
import { createMemoryPubSub } from '../../src/pubsub/memory.ts';
import { describePubSubContract } from './pubsub.contract.ts';

describePubSubContract('memory', () => ({ create: (options = {}) => Promise.resolve(createMemoryPubSub(options)) }));

describe('memory pubsub', () => {
  it('reports its kind', () => {
    expect(createMemoryPubSub().kind).toBe('memory');
  });

  it('separate instances are separate brokers (one process needs only one)', async () => {
    const a = createMemoryPubSub();
    const b = createMemoryPubSub();
    let heard = false;
    await b.subscribe('ch', () => {
      heard = true;
    });
    await a.publish('ch', 'x');
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });
});

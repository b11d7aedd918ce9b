import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { createRedisPubSub } from '../../src/pubsub/redis.ts';
import type { JsonValue, PubSub } from '../../src/pubsub/types.ts';
import { closedPortUrl, noteRedisSkip, redisUrl, uniquePrefix } from '../cache/redis-env.ts';
import { describePubSubContract } from './pubsub.contract.ts';

noteRedisSkip('redis pubsub');

// Every instance of the suite shares one unique channel prefix, like replicas of one deployment.
const channelPrefix = uniquePrefix('pubsub');
const create = (options: Omit<Parameters<typeof createRedisPubSub>[0], 'url' | 'channelPrefix'> = {}) =>
  createRedisPubSub({ url: redisUrl ?? '', channelPrefix, ...options });

describePubSubContract('redis', () => ({ create }), { skip: redisUrl === undefined });

describe.skipIf(redisUrl === undefined)('redis pubsub against a real server', () => {
  it('fans out across instances: what one replica publishes every replica hears', async () => {
    const replicas: PubSub[] = [await create(), await create(), await create()];
    const heard = replicas.map(() => [] as JsonValue[]);
    await Promise.all(replicas.map((r, i) => r.subscribe('golden.invalidate', (m) => void heard[i]!.push(m))));
    await replicas[0]!.publish('golden.invalidate', { ids: ['c1'] });
    await expect.poll(() => heard.map((h) => h.length)).toEqual([1, 1, 1]);
    expect(heard).toEqual([[{ ids: ['c1'] }], [{ ids: ['c1'] }], [{ ids: ['c1'] }]]);
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('channels carry the prefix on the wire; another prefix is another namespace', async () => {
    const pubsub = await create();
    const other = await createRedisPubSub({ url: redisUrl ?? '', channelPrefix: uniquePrefix('pubsub-other') });
    const raw = createClient({ url: redisUrl ?? '' });
    await raw.connect();
    const heard: JsonValue[] = [];
    const heardByOther: JsonValue[] = [];
    await pubsub.subscribe('ch', (m) => void heard.push(m));
    await other.subscribe('ch', (m) => void heardByOther.push(m));
    expect(await raw.publish(`${channelPrefix}ch`, JSON.stringify('from outside'))).toBe(1);
    await expect.poll(() => heard).toEqual(['from outside']);
    expect(heardByOther).toEqual([]);
    await raw.close();
    await Promise.all([pubsub.close(), other.close()]);
  });

  it('a message that is not JSON is reported as decode and skipped', async () => {
    const reported: string[] = [];
    const pubsub = await create({ onError: (_e, ctx) => reported.push(`${ctx.operation}:${ctx.channel}`) });
    const raw = createClient({ url: redisUrl ?? '' });
    await raw.connect();
    const heard: JsonValue[] = [];
    await pubsub.subscribe('ch', (m) => void heard.push(m));
    await raw.publish(`${channelPrefix}ch`, '{not json');
    await raw.publish(`${channelPrefix}ch`, '"fine"');
    await expect.poll(() => heard).toEqual(['fine']);
    expect(reported).toEqual(['decode:ch']);
    await raw.close();
    await pubsub.close();
  });
});

describe('redis pubsub when Redis is unreachable', () => {
  it('start-up fails within connectTimeoutMs with a message naming the server (password hidden)', async () => {
    const url = (await closedPortUrl()).replace('redis://', 'redis://user:s3cret@');
    const started = Date.now();
    const error = await createRedisPubSub({ url, connectTimeoutMs: 200, reconnectStrategy: false, onError: () => undefined }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain('s3cret');
  });
});

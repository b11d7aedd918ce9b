// Which Redis a test uses: the server named by REDIS_URL (CI sets it). Without it the Redis
// suites are skipped, and say so. Shared by test/cache and test/pubsub.
import net from 'node:net';

export const redisUrl: string | undefined = process.env['REDIS_URL'] || undefined;

export function noteRedisSkip(suite: string): void {
  if (redisUrl === undefined) {
    console.info(`[${suite}] skipped the real-Redis run: REDIS_URL is not set (e.g. REDIS_URL=redis://127.0.0.1:6379 npx vitest run)`);
  }
}

/** A prefix no other run or suite uses, so suites can share one Redis and clean up only their own keys. */
export function uniquePrefix(suite: string): string {
  return `meridian:test:${suite}:${process.pid}:${Math.floor(Math.random() * 1e9).toString(36)}:`;
}

/** A loopback port nothing listens on: bind an ephemeral port, then release it. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return `redis://127.0.0.1:${port}`;
}

/** A local server that accepts connections and never answers: Redis hung rather than down. */
export async function silentServerUrl(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

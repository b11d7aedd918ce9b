// A small HTTP/1.1 load generator over raw keep-alive sockets (no client library overhead),
// run in its own process pinned to its own core. Usage (JSON on argv[2]):
//   { url, bodies: string[], concurrency, durationMs?, sequential?: true }
// sequential: sends each body once, one at a time, and reports per-request latency.
import net from 'node:net';

interface Spec {
  url: string;
  bodies: string[];
  concurrency: number;
  durationMs?: number;
  sequential?: boolean;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const target = new URL(spec.url);
// The key bench/run.ts made; the gateway under benchmark accepts it (MERIDIAN_API_KEYS).
const auth = process.env['BENCH_API_KEY'] ? `Authorization: Bearer ${process.env['BENCH_API_KEY']}\r\n` : '';
const requests = spec.bodies.map((b) =>
  Buffer.from(
    `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\n${auth}Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`,
  ),
);

function connection(): { send(req: Buffer): Promise<number>; close(): void } {
  const socket = net.connect(Number(target.port), target.hostname);
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  let waiting: ((status: number) => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const m = /content-length:\s*(\d+)/i.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (buf.length < end + 4 + len) return;
      const status = Number(head.slice(9, 12));
      buf = buf.subarray(end + 4 + len);
      const w = waiting;
      waiting = null;
      w?.(status);
    }
  });
  return {
    send: (req) =>
      new Promise((resolve) => {
        waiting = resolve;
        socket.write(req);
      }),
    close: () => socket.destroy(),
  };
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

if (spec.sequential) {
  const c = connection();
  const lat: number[] = [];
  let errors = 0;
  for (const req of requests) {
    const t0 = performance.now();
    const status = await c.send(req);
    lat.push(performance.now() - t0);
    if (status !== 200) errors++;
  }
  c.close();
  lat.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ n: lat.length, errors, p50: pct(lat, 50), p95: pct(lat, 95), max: lat.at(-1) }) + '\n');
} else {
  const until = performance.now() + (spec.durationMs ?? 10_000);
  let done = 0;
  let errors = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: spec.concurrency }, async (_, i) => {
      const c = connection();
      let k = i;
      while (performance.now() < until) {
        const s = performance.now();
        const status = await c.send(requests[k++ % requests.length]!);
        if (done % 16 === 0) lat.push(performance.now() - s);
        done++;
        if (status !== 200) errors++;
      }
      c.close();
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ n: done, errors, rps: done / secs, p50: pct(lat, 50), p95: pct(lat, 95) }) + '\n');
}

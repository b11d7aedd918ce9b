// Serves one PGlite instance over the Postgres wire protocol to many `pg` connections.
//
// PGlite is a single session. @electric-sql/pglite-socket queues each protocol *message*
// separately, so two connections' extended-protocol messages (Parse, Bind, Execute, Sync)
// interleave and one connection's unnamed statement replaces another's: a query then gets
// another query's rows (seen here: ERP contracts answered with invoice rows). This server
// queues whole *batches* instead — everything up to a Sync or a simple Query runs at once —
// and, while a connection is inside a transaction, runs only that connection's batches.
// https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

interface Batch {
  conn: Conn;
  bytes: Uint8Array;
  done: () => void;
  failed: (e: unknown) => void;
}

interface Conn {
  id: number;
  socket: net.Socket;
  closed: boolean;
}

export interface PgliteServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startPgliteServer(db: PGlite, options: { host?: string; port?: number } = {}): Promise<PgliteServer> {
  const queue: Batch[] = [];
  let running = false;
  /** The connection whose transaction holds the session, if any. */
  let owner: Conn | null = null;
  let nextId = 1;
  let stopped = false;
  const sockets = new Set<net.Socket>();

  const pump = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      while (!stopped) {
        const inTx = db.isInTransaction();
        if (!inTx) owner = null;
        const index = inTx && owner ? queue.findIndex((b) => b.conn === owner) : queue.length > 0 ? 0 : -1;
        if (index === -1) break; // empty, or waiting for the transaction's owner
        const batch = queue.splice(index, 1)[0]!;
        if (batch.conn.closed) {
          batch.done();
          continue;
        }
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(batch.bytes, {
              onRawData: (chunk: Uint8Array) => {
                // The chunk is a view into PGlite's memory, reused for what comes next; a queued
                // socket write keeps a reference, so copy it (or a large answer gets corrupted).
                if (!batch.conn.closed && chunk.length > 0) batch.conn.socket.write(Buffer.from(chunk));
              },
            }),
          );
          if (db.isInTransaction()) owner = batch.conn;
          batch.done();
        } catch (e) {
          batch.failed(e);
        }
      }
    } finally {
      running = false;
    }
  };

  const submit = (conn: Conn, bytes: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      queue.push({ conn, bytes, done: resolve, failed: reject });
      void pump();
    });

  const release = async (conn: Conn): Promise<void> => {
    conn.closed = true;
    if (stopped) return;
    // A connection that leaves inside a transaction must not keep the session for ever.
    if (owner === conn && db.isInTransaction()) {
      await db.runExclusive(() => db.exec('ROLLBACK')).catch(() => undefined);
      owner = null;
    }
    void pump();
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const conn: Conn = { id: nextId++, socket, closed: false };
    let buffer = Buffer.alloc(0);
    let pending: Buffer[] = [];
    let started = false;
    let chain: Promise<void> = Promise.resolve();

    const fail = (e: unknown): void => {
      if (!conn.closed) socket.destroy(e instanceof Error ? e : new Error(String(e)));
    };
    const flush = (): void => {
      if (pending.length === 0) return;
      const bytes = new Uint8Array(Buffer.concat(pending));
      pending = [];
      chain = chain.then(() => submit(conn, bytes)).catch(fail);
    };

    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const len = buffer.readInt32BE(0);
          const code = buffer.readInt32BE(4);
          if (buffer.length < len) return;
          const msg = buffer.subarray(0, len);
          buffer = buffer.subarray(len);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            socket.write('N');
            continue;
          }
          if (code === CANCEL_REQUEST) {
            socket.end(); // cancellation is not supported by PGlite
            return;
          }
          if (code !== PROTOCOL_3) {
            socket.destroy();
            return;
          }
          started = true;
          pending.push(Buffer.from(msg));
          flush();
          continue;
        }
        if (buffer.length < 5) return;
        const len = buffer.readInt32BE(1);
        if (buffer.length < 1 + len) return;
        const type = String.fromCharCode(buffer[0]!);
        const msg = Buffer.from(buffer.subarray(0, 1 + len));
        buffer = buffer.subarray(1 + len);
        if (type === 'X') {
          socket.end();
          return;
        }
        pending.push(msg);
        // A batch ends where the client waits for answers: Sync, a simple Query, a Flush,
        // or a password/SASL message during start-up.
        if (type === 'S' || type === 'Q' || type === 'H' || type === 'p') flush();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      void release(conn);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: options.host ?? '127.0.0.1',
    port,
    close: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        for (const b of queue.splice(0)) b.failed(new Error('embedded Postgres is shutting down'));
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

// Serves one PGlite instance over the Postgres wire protocol to many `pg` connections.
//
// PGlite is a single session. @electric-sql/pglite-socket queues each protocol *message*
// separately, so two connections' extended-protocol messages (Parse, Bind, Execute, Sync)
// interleave and one connection's unnamed statement replaces another's: a query then gets
// another query's rows (seen here: ERP contracts answered with invoice rows). This server
// queues whole *batches* instead — everything up to a Sync or a simple Query runs at once —
// and, while a connection is inside a transaction, runs only that connection's batches.
// https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
//
// PGlite also ignores the start-up message: every connection would be its superuser, with
// default settings. So this server honours the two things a read-only client asks for there
// (the gateway's ERP connection: src/sources/erp/client.ts): the `user` (a role other than
// PGlite's own is taken with SET ROLE, and a role that does not exist is refused as Postgres
// refuses it) and `-c default_transaction_read_only=on` in `options`. One session serves every
// connection, so before a batch the session is switched to that connection's role and settings
// (or back to PGlite's own) whenever they differ from the last batch's: consecutive batches of
// one kind cost nothing extra. The role's privileges are what Postgres checks; the limit is that
// the session itself belongs to the superuser, so a client that sends RESET ROLE itself leaves
// the role until the session next switches: this guards against Meridian's own mistakes, not
// against a hostile client
// (docs/operations.md, "The ERP connection cannot write").
// https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE
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
  /** SQL that puts the session in this connection's role and settings before each batch; null: PGlite's own. */
  setup: string | null;
}

/** PGlite's own superuser, the role of connections that name no other. */
const OWNER_ROLE = 'postgres';
const RESET_SETUP = 'RESET ROLE; RESET default_transaction_read_only';

/** The key/value parameters of a StartupMessage (after its length and protocol version). */
function startupParameters(msg: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  let off = 8;
  while (off < msg.length) {
    const keyEnd = msg.indexOf(0, off);
    if (keyEnd <= off) break;
    const valueEnd = msg.indexOf(0, keyEnd + 1);
    if (valueEnd < 0) break;
    params.set(msg.toString('utf8', off, keyEnd), msg.toString('utf8', keyEnd + 1, valueEnd));
    off = valueEnd + 1;
  }
  return params;
}

/** `-c default_transaction_read_only=on` (or `--default-transaction-read-only=on`) among the start-up options. */
function asksReadOnly(options: string | undefined): boolean {
  if (!options) return false;
  return /(?:^|\s)(?:-c\s*|--)default[_-]transaction[_-]read[_-]only=(on|true|yes|1)(?:\s|$)/i.test(options);
}

const quoteRole = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A simple Query message. */
function queryMessage(sql: string): Uint8Array {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('Q', 0, 'ascii');
  head.writeInt32BE(4 + body.length, 1);
  return new Uint8Array(Buffer.concat([head, body]));
}

/** The message of the first ErrorResponse in a stream of backend messages, or null. */
function errorIn(bytes: Buffer): string | null {
  let off = 0;
  while (off + 5 <= bytes.length) {
    const type = String.fromCharCode(bytes[off]!);
    const len = bytes.readInt32BE(off + 1);
    if (type === 'E') {
      // Fields: a type byte and a C string each, until a zero byte; 'M' is the message.
      const fields = bytes.subarray(off + 5, off + 1 + len);
      for (let i = 0; i < fields.length && fields[i] !== 0; ) {
        const end = fields.indexOf(0, i + 1);
        if (end < 0) break;
        if (fields[i] === 0x4d) return fields.toString('utf8', i + 1, end);
        i = end + 1;
      }
      return 'the embedded Postgres refused the statement';
    }
    off += 1 + len;
  }
  return null;
}

/** A FATAL ErrorResponse, as Postgres answers a start-up it refuses. */
function fatalResponse(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0, 'ascii');
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
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

  /**
   * Runs SQL of our own on the session, inside the caller's runExclusive (db.exec would wait for
   * the lock the caller holds); throws the server's message if it fails.
   */
  const runOwn = async (sql: string): Promise<void> => {
    const out: Buffer[] = [];
    await db.execProtocolRawStream(queryMessage(sql), { onRawData: (chunk: Uint8Array) => void out.push(Buffer.from(chunk)) });
    const error = errorIn(Buffer.concat(out));
    if (error !== null) throw new Error(error);
  };

  /** The role and settings the session is in: a connection's `setup`, or null for PGlite's own. */
  let applied: string | null = null;

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
          await db.runExclusive(async () => {
            // The session takes this connection's role and settings when they differ from the last
            // batch's (never inside a transaction: only its owner's batches run there).
            const setup = batch.conn.setup;
            if (setup !== applied && !db.isInTransaction()) {
              try {
                await runOwn(setup ?? RESET_SETUP);
                applied = setup;
              } catch (e) {
                // A role that does not exist: refused as Postgres refuses it at start-up.
                if (!batch.conn.closed) batch.conn.socket.end(fatalResponse('28000', e instanceof Error ? e.message : String(e)));
                batch.conn.closed = true;
                return;
              }
            }
            await db.execProtocolRawStream(batch.bytes, {
              onRawData: (chunk: Uint8Array) => {
                // The chunk is a view into PGlite's memory, reused for what comes next; a queued
                // socket write keeps a reference, so copy it (or a large answer gets corrupted).
                if (!batch.conn.closed && chunk.length > 0) batch.conn.socket.write(Buffer.from(chunk));
              },
            });
          });
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
      await db.runExclusive(() => runOwn('ROLLBACK')).catch(() => undefined);
      owner = null;
    }
    void pump();
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const conn: Conn = { id: nextId++, socket, closed: false, setup: null };
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
          const params = startupParameters(msg);
          const user = params.get('user') ?? OWNER_ROLE;
          // Both settings, every time: the session may be in another connection's role and settings.
          const readOnly = asksReadOnly(params.get('options'));
          conn.setup =
            user === OWNER_ROLE && !readOnly
              ? null
              : `${user === OWNER_ROLE ? 'RESET ROLE' : `SET ROLE ${quoteRole(user)}`}; ${readOnly ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`;
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

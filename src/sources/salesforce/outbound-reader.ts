// Reads Outbound Messages on a worker thread (outbound-worker.ts): one worker, started on the
// first message, restarted if it dies; messages queue in it one after another. The event loop
// only copies the body over and gets a few ids back.
import { Worker } from 'node:worker_threads';
import { OutboundXmlError, type OutboundXml } from './outbound-xml.ts';

export interface OutboundXmlReader {
  /** Throws OutboundXmlError when the body is not a readable Outbound Message. */
  read(xml: string): Promise<OutboundXml>;
  close(): Promise<void>;
}

/** Messages waiting for the worker beyond which new ones are turned away (answered 503: Salesforce re-sends). */
export const MAX_QUEUED_OUTBOUND_MESSAGES = 32;

/** Too many messages are already waiting to be read. */
export class OutboundReaderBusyError extends Error {
  constructor() {
    super(`${MAX_QUEUED_OUTBOUND_MESSAGES} outbound messages are already waiting to be read; try again shortly`);
    this.name = 'OutboundReaderBusyError';
  }
}

/** Run as TypeScript by Node itself, as the CLI is (bin/meridian.js: Node 22.18+ strips the types). */
const WORKER_ENTRY = new URL('./outbound-worker.ts', import.meta.url);

type Answer = { seq: number; ok: OutboundXml } | { seq: number; error: string };

export function createOutboundXmlReader(): OutboundXmlReader {
  let worker: Worker | null = null;
  let seq = 0;
  const pending = new Map<number, { resolve: (x: OutboundXml) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const start = (): Worker => {
    const w = new Worker(WORKER_ENTRY);
    w.on('message', (a: Answer) => {
      const p = pending.get(a.seq);
      if (!p) return;
      pending.delete(a.seq);
      if (pending.size === 0) w.unref();
      if ('ok' in a) p.resolve(a.ok);
      else p.reject(new OutboundXmlError(a.error));
    });
    w.on('error', (e: Error) => {
      if (worker === w) worker = null;
      failAll(new Error(`outbound message reader failed: ${e.message}`));
    });
    w.on('exit', () => {
      if (worker === w) worker = null;
      failAll(new Error('outbound message reader stopped'));
    });
    return w;
  };
  return {
    read: (xml) =>
      new Promise<OutboundXml>((resolve, reject) => {
        if (pending.size >= MAX_QUEUED_OUTBOUND_MESSAGES) {
          reject(new OutboundReaderBusyError());
          return;
        }
        worker ??= start();
        // Referenced only while a read is in flight: an idle worker must not keep the process alive.
        worker.ref();
        const id = ++seq;
        pending.set(id, { resolve, reject });
        worker.postMessage({ seq: id, xml });
      }),
    close: async () => {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}

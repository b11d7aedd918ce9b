// A plain HTTP server for testing what an SDK puts on the wire: it records every request
// (method, URL, headers, body) and answers with whatever the test sets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Answer = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request so far, in arrival order (the test may empty it). */
  readonly seen: SeenRequest[];
  /** How the next requests are answered. */
  answer: Answer;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      recording.answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const recording: RecordingServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answer: (_req, res) => void res.writeHead(500).end(),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return recording;
}

/** Answers with this status and JSON body. */
export const jsonAnswer = (status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json; charset=utf-8'): Answer => (_req, res) => {
  res.writeHead(status, { 'content-type': contentType, ...headers }).end(JSON.stringify(body));
};

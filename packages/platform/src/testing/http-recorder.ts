/**
 * A real HTTP server on 127.0.0.1 that records every request and answers
 * from a script (status, headers, body per request; 200 once the script is
 * used up). Alert output tests send to it and assert the exact bytes.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Date.now() when the body was complete. */
  at: number;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpRecorder {
  url: string;
  requests: RecordedRequest[];
  /** Answers for the next requests, in order. */
  script(...answers: ScriptedAnswer[]): void;
  /** Resolves once `n` requests were recorded; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export async function startHttpRecorder(): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = [];
  const answers: ScriptedAnswer[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const a = answers.shift() ?? { status: 200, body: '' };
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
      for (const w of waiters.filter((x) => requests.length >= x.n)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...a) => answers.push(...a),
    waitFor: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (requests.length >= n) {
          resolve(requests.slice(0, n));
          return;
        }
        const t = setTimeout(
          () => reject(new Error(`expected ${n} requests, got ${requests.length} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve(requests.slice(0, n));
          },
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

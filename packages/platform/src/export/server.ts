/**
 * The exporter's HTTP endpoint: `GET /metrics` (Prometheus text format), `GET /healthz`
 * (200 once the report caches have synced, 503 before). Anything else is 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../core/errors.js';
import type { ReportExporter } from './exporter.js';

export interface ExporterServer {
  /** `http://host:port` */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startExporterServer(
  exporter: ReportExporter,
  o: { host?: string; port?: number; synced?: () => boolean } = {},
): Promise<ExporterServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      exporter.metrics().then(
        (text) => res.writeHead(200, { 'content-type': exporter.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(errorMessage(err)),
      );
      return;
    }
    if (path === '/healthz') {
      const ok = o.synced ? o.synced() : true;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'syncing\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 9090, o.host ?? '0.0.0.0', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from './errors.js';

interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** The small HTTP side of a batch tier: Prometheus text on /metrics, a JSON status on /healthz. */
export async function startMetricsServer(host: string, port: number, metrics: () => string, health: () => object): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
    else if (req.url === '/healthz') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...health() }));
    else res.writeHead(404).end();
  });
  // A taken port is a clear start-up error (e.g. `sluice jobs` while the demo runs), not a stack trace.
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new CliError('CFG_ERR_PORT_IN_USE', `port ${port} on ${host} is already in use (is another sluice process running?); pick another with --port`) : err),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

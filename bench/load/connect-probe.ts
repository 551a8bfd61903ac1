/**
 * Opens a fresh TCP connection to the server at a fixed interval and times `GET /ready` on it, from connect()
 * to the end of the response: how long a client that is not yet connected (a WordPress publish, which opens a
 * connection per request) waits while the server is busy. Runs in the runner process; bounded by `count`.
 */
import { request } from 'node:http';
import { monoMs, sleep } from '../lib/clock.js';
import { Histogram } from '../lib/histogram.js';

export interface ProbeResult {
  latency: Histogram;
  failed: number;
}

export interface ConnectProbe {
  stop(): Promise<ProbeResult>;
}

export function startConnectProbe(
  httpUrl: string,
  localAddress: string,
  intervalMs: number,
  count: number,
): ConnectProbe {
  const url = new URL('/ready', httpUrl);
  const latency = new Histogram();
  const pending = new Set<Promise<void>>();
  let failed = 0;
  let stopped = false;

  const probeOnce = () =>
    new Promise<void>((done) => {
      const startedAt = monoMs();
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          agent: false,
          localAddress,
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latency.record(monoMs() - startedAt);
            done();
          });
        },
      );
      const fail = () => {
        failed += 1;
        done();
      };
      req.on('timeout', () => req.destroy());
      req.on('error', fail);
      req.end();
    });

  const loop = (async () => {
    for (let i = 0; i < count && !stopped; i++) {
      const probe = probeOnce();
      pending.add(probe);
      void probe.then(() => pending.delete(probe));
      await sleep(intervalMs);
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(pending);
      return { latency, failed };
    },
  };
}

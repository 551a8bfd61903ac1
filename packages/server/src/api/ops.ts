/** Operational endpoints: liveness, readiness and Prometheus metrics. */
import type { ServerResponse } from 'node:http';
import type { Metrics } from '../metrics/metrics.js';
import { sendJson } from './http.js';

export function health(response: ServerResponse): void {
  sendJson(response, 200, { status: 'ok' });
}

export function ready(response: ServerResponse, reason: string | null): void {
  if (reason === null) sendJson(response, 200, { ready: true });
  else sendJson(response, 503, { ready: false, reason });
}

export async function metrics(response: ServerResponse, metrics: Metrics): Promise<void> {
  const text = await metrics.registry.metrics();
  response.writeHead(200, { 'Content-Type': metrics.registry.contentType });
  response.end(text);
}

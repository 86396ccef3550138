// METRICS_PORT / METRICS_HOST: where Prometheus scrapes `GET /metrics`, a listener of its own that
// is never the app's port (the app's port faces the internet through the proxy; metrics should not).
import { isIP } from 'node:net';

export interface MetricsListen {
  host: string;
  /** 0 picks a free port (tests); the log names the one it got. */
  port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Undefined when METRICS_PORT is unset (no metrics at all); throws an Error naming the variable. */
export function parseMetricsListen(rawPort: string | undefined, rawHost: string | undefined, appPort: number): MetricsListen | undefined {
  if (rawPort === undefined) return undefined;
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) {
    throw new Error(`METRICS_PORT must be a port number from 0 to 65535, got "${rawPort}"`);
  }
  if (port !== 0 && port === appPort) {
    throw new Error(`METRICS_PORT must differ from PORT (${appPort}): metrics are never served on the app's port`);
  }
  const host = rawHost ?? '127.0.0.1';
  if (isIP(host) === 0 && !HOSTNAME.test(host)) {
    throw new Error(`METRICS_HOST must be an IP address or a host name (e.g. 127.0.0.1 or 0.0.0.0), got "${host}"`);
  }
  return { host, port };
}

// Debian's nginx as a child process, serving deploy/nginx-site.conf (the file operators install)
// with only its ports, paths and server_name changed, in a folder of its own: its pid file, logs
// and temp folders there, TLS with a self-signed certificate made by openssl for this run.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';

export const NGINX_SITE = resolve(import.meta.dirname, '..', '..', 'deploy', 'nginx-site.conf');

export interface Nginx {
  /** e.g. https://localhost:40123 */
  origin: string;
  /** nginx's error log so far (for failure messages). */
  errors(): string;
  stop(): Promise<void>;
}

/** Replaces `from` with `to` in `text`, failing when the template no longer holds `from`. */
function substitute(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`deploy/nginx-site.conf no longer contains ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

export function selfSignedCertificate(dir: string, host: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`], {
    stdio: 'ignore',
  });
  return { cert, key };
}

/** Starts nginx in front of `upstreams` (host:port each), listening on 127.0.0.1:`port` (TLS) and `httpPort`. */
export async function startNginx(options: { dir: string; host: string; port: number; httpPort: number; upstreams: [string, string] }): Promise<Nginx> {
  const { dir, host, port, httpPort, upstreams } = options;
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'temp'), { recursive: true });
  const { cert, key } = selfSignedCertificate(prefix, host);

  let site = readFileSync(NGINX_SITE, 'utf8');
  site = substitute(site, 'server 10.0.1.11:3000', `server ${upstreams[0]}`);
  site = substitute(site, 'server 10.0.1.12:3000', `server ${upstreams[1]}`);
  site = substitute(site, 'listen 443 ', `listen 127.0.0.1:${port} `);
  site = substitute(site, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  site = substitute(site, '/etc/letsencrypt/live/signin.example.com/fullchain.pem', cert);
  site = substitute(site, '/etc/letsencrypt/live/signin.example.com/privkey.pem', key);
  site = substitute(site, 'server_name signin.example.com;', `server_name ${host};`);
  writeFileSync(join(prefix, 'site.conf'), site);

  // What /etc/nginx/nginx.conf gives a site on Debian, with every path inside the folder.
  const temp = (name: string) => `${name}_temp_path ${join(prefix, 'temp', name)};`;
  const main = `worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} info;
events { worker_connections 256; }
http {
  access_log ${join(prefix, 'access.log')};
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  include ${join(prefix, 'site.conf')};
}
`;
  const config = join(prefix, 'nginx.conf');
  writeFileSync(config, main);
  const errors = () => {
    try {
      return readFileSync(join(prefix, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };

  const child: ChildProcess = spawn('nginx', ['-c', config, '-p', prefix, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit');
  await untilListening(port, child, () => `${stderr}\n${errors()}`);
  return {
    origin: `https://${host}:${port}`,
    errors,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGQUIT'); // graceful: workers finish, then the master exits
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

async function untilListening(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${output()}`);
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1', () => done(true)).on('error', () => done(false));
      socket.once('connect', () => socket.destroy());
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${output()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * nginx in front of Wharf, for REGISTRY_FS_ACCEL_REDIRECT (the e2e test and the comparison
 * bench): run by the test as the current user, in the foreground, with its pid file, logs
 * and temporary files in a directory of its own, stopped by its PID.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePortBlock } from './private-services';

/** Debian's nginx (`apt-get install nginx`); WHARF_NGINX overrides. */
export const NGINX_BIN = process.env.WHARF_NGINX || '/usr/sbin/nginx';

export function findNginx(): { available: boolean; missing: string } {
  const probe = spawnSync(NGINX_BIN, ['-v'], { stdio: 'ignore' });
  return probe.status === 0
    ? { available: true, missing: '' }
    : { available: false, missing: `nginx at ${NGINX_BIN} (apt-get install nginx)` };
}

/**
 * The internal location that sends what Wharf names in X-Accel-Redirect — the one the
 * README's "Serving blobs through nginx" shows. nginx keeps Content-Type,
 * Content-Disposition and Cache-Control of Wharf's answer but drops other headers, and
 * would put its own ETag and Last-Modified: the `add_header` lines pass Wharf's on. Wharf
 * answers conditional requests itself before redirecting (hence `if_modified_since off`);
 * Range is nginx's, a single range as Wharf serves it.
 */
export function accelLocation(prefix: string, blobRoot: string): string[] {
  return [
    `location ${prefix} {`,
    '  internal;',
    `  alias ${blobRoot}/;`,
    '  etag off;',
    '  if_modified_since off;',
    '  max_ranges 1;',
    '  add_header X-Content-Type-Options nosniff;',
    '  add_header ETag $upstream_http_etag;',
    '  add_header Last-Modified $upstream_http_last_modified;',
    '  add_header Docker-Content-Digest $upstream_http_docker_content_digest;',
    '  add_header X-Checksum-Md5 $upstream_http_x_checksum_md5;',
    '  add_header X-Checksum-Sha1 $upstream_http_x_checksum_sha1;',
    '  add_header X-Checksum-Sha256 $upstream_http_x_checksum_sha256;',
    '}',
  ];
}

/** The proxy to Wharf: uploads of any size streamed through, the public host kept. */
export function proxyLocation(upstream: string): string[] {
  return [
    'location / {',
    `  proxy_pass ${upstream};`,
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    '  proxy_set_header Host $http_host;',
    '  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '  proxy_set_header X-Forwarded-Proto $scheme;',
    '  client_max_body_size 0;',
    '  proxy_request_buffering off;',
    '  proxy_read_timeout 600s;',
    '}',
  ];
}

export interface NginxProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  pid: number;
  /** nginx's stderr and error log so far */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx on a free loopback port with `locations` in its one server block
 * (`port` when it had to be known before, e.g. for REGISTRY_BASE_URL).
 */
export async function startNginx(locations: string[], port?: number): Promise<NginxProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-nginx-'));
  mkdirSync(path.join(dir, 'tmp'));
  const listen = port ?? (await freePortBlock());
  const tmp = path.join(dir, 'tmp');
  const conf = path.join(dir, 'nginx.conf');
  const errorLog = path.join(dir, 'error.log');
  writeFileSync(
    conf,
    [
      // As root, nginx would hand its workers to `nobody`, who cannot read a 0700 temp dir.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${errorLog} warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      '  sendfile on;',
      '  tcp_nopush on;',
      '  default_type application/octet-stream;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (t) => `  ${t}_temp_path ${tmp}/${t};`,
      ),
      '  server {',
      `    listen 127.0.0.1:${listen};`,
      ...locations.map((l) => `    ${l}`),
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    NGINX_BIN,
    ['-p', dir, '-c', conf, '-e', errorLog, '-g', 'daemon off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${listen}`;
  const output = () => out + (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(`${url}/`, { method: 'HEAD' });
      break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      const text = output();
      await stop();
      throw new Error(`nginx did not start: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port: listen, pid: child.pid!, output, stop };
}

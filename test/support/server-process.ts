import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The built server (`npm run build`; `npm test` builds first), run as operators run it. */
export const SERVER_MAIN = path.resolve(__dirname, '../../dist/apps/registry/main.js');
export const serverBuilt = (): boolean => existsSync(SERVER_MAIN);

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves when /readyz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `main.js` with only PATH and `env` in its environment. */
export function startServerProcess(
  env: Record<string, string>,
  args: string[] = [],
): ServerProcess {
  const port = Number(env.PORT ?? 0);
  const child = spawn(process.execPath, [SERVER_MAIN, ...args], {
    env: { PATH: process.env.PATH!, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    port,
    url,
    output: () => out,
    exited,
    async ready(timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          if ((await fetch(`${url}/readyz`)).status === 200) return;
        } catch {
          // not listening yet
        }
        if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${out}`);
        if (Date.now() > deadline)
          throw new Error(`server not ready within ${timeoutMs} ms: ${out}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

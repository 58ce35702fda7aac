import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/*
 * bzip2 compression of generated documents (conda's repodata.json.bz2). The compressor is
 * libbzip2 1.0.8 itself, compiled to WebAssembly (the `bzip2-wasm` package): its output is
 * what `bzip2 -9` writes. Pure-JavaScript bzip2 writers run at a few hundred KB/s and
 * would hold the event loop for seconds on a large index.
 *
 * Each call runs in a worker thread of its own, ended when done: the event loop stays free
 * while a block is sorted, and the WebAssembly memory (which only grows) is released with
 * the worker. At most MAX_RUNNING run at once; further calls wait their turn.
 */

/** Compressions running at once (bzip2 is CPU-bound). */
const MAX_RUNNING = 2;
let running = 0;
const waiting: (() => void)[] = [];

// bzip2-wasm is an ES module: loaded with import() in the worker, which is plain Node under
// ts-jest too. Resolved from this file (`__filename` is the bundle's path in dist/).
const ENTRY = pathToFileURL(createRequire(__filename).resolve('bzip2-wasm')).href;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.entry).then(async ({ default: BZip2 }) => {
  const bzip2 = new BZip2();
  await bzip2.init();
  const input = workerData.input;
  // bzlib.h: the output of BZ2_bzBuffToBuffCompress is at most 1% + 600 bytes over the input.
  const out = bzip2.compress(input, 9, input.length + Math.ceil(input.length / 100) + 600);
  parentPort.postMessage(out, [out.buffer]);
});
`;

/** `data` compressed as `bzip2 -9` does it (900 kB blocks). */
export async function compressBzip2(data: Buffer | string): Promise<Buffer> {
  const input = typeof data === 'string' ? Buffer.from(data) : data;
  await turn();
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const copy = new Uint8Array(input); // moved to the worker, not cloned again
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { entry: ENTRY, input: copy },
        transferList: [copy.buffer],
      });
      worker.once('message', (out: Uint8Array) => {
        resolve(Buffer.from(out.buffer, out.byteOffset, out.length));
        void worker.terminate();
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the bzip2 worker exited with code ${code}`)));
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function turn(): Promise<void> {
  if (running < MAX_RUNNING) {
    running++;
    return Promise.resolve();
  }
  return new Promise((resolve) =>
    waiting.push(() => {
      running++;
      resolve();
    }),
  );
}

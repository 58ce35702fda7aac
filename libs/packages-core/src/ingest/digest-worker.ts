import { Worker } from 'node:worker_threads';

/**
 * Hashes computed off the main thread. One pass over an upload computes four digests;
 * in one thread that caps ingest near the speed of the slowest (md5), while the event
 * loop also parses HTTP and writes to storage. Here the digests a large upload needs
 * besides sha256 run in worker threads (one per lane, shared by all uploads of the
 * process), in parallel with the main thread's sha256 and I/O.
 *
 * Bytes are copied in batches of up to {@link BATCH} into shared memory that every lane
 * reads (the caller's buffers stay the caller's), and at most {@link MAX_IN_FLIGHT} bytes
 * per job wait in a worker: past that the job asks its caller to wait, which backs
 * pressure up to the request body. The shared batches are reused: buffers handed to a
 * worker that allocates nothing else would wait long for its garbage collector, and a
 * 512 MiB upload then cost a hundred MiB of resident memory per worker.
 */

export type OffloadedAlgorithm = 'md5' | 'sha1' | 'sha512';

/** Which algorithms each worker computes: two lanes of about equal cost (md5 ≈ sha1 + sha512 in time). */
const LANES: OffloadedAlgorithm[][] = [['md5'], ['sha1', 'sha512']];
const BATCH = 1024 * 1024;
const MAX_IN_FLIGHT = 8 * BATCH;
/** Free batches kept for reuse, process-wide, while a lane is busy. */
const MAX_FREE_BATCHES = 32;
const freeBatches: SharedArrayBuffer[] = [];
/**
 * A worker with no job for this long exits, and with the last one the free batches go:
 * an isolate holds ~10 MiB, the batches up to 32 MiB, for uploads that may not come again.
 */
let idleMs = 10_000;

/** Tests: how long an idle worker lives. */
export function setDigestWorkerIdleMs(ms: number): void {
  idleMs = ms;
}

/** Tests: the digest workers running now, and the free batches held. */
export function digestWorkerState(): { workers: number; freeBatches: number } {
  return {
    workers: (lanes ?? []).filter((l) => l.running).length,
    freeBatches: freeBatches.length,
  };
}

// Plain JavaScript evaluated as the worker: the same code runs from dist/ and under ts-jest.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'open') {
    jobs.set(m.id, m.algorithms.map((a) => [a, createHash(a)]));
  } else if (m.t === 'data') {
    const job = jobs.get(m.id);
    const bytes = new Uint8Array(m.b, 0, m.n);
    if (job) for (const [, h] of job) h.update(bytes);
    parentPort.postMessage({ t: 'ack', id: m.id, n: m.n, s: m.s });
  } else if (m.t === 'end') {
    const job = jobs.get(m.id) || [];
    jobs.delete(m.id);
    const d = {};
    for (const [a, h] of job) d[a] = h.digest('hex');
    parentPort.postMessage({ t: 'done', id: m.id, d });
  } else if (m.t === 'drop') {
    jobs.delete(m.id);
  }
});
`;

type Reply =
  | { t: 'ack'; id: number; n: number; s: number }
  | { t: 'done'; id: number; d: Record<string, string> };

interface JobHandlers {
  ack(n: number, seq: number): void;
  done(d: Record<string, string>): void;
  fail(err: Error): void;
}

/** One worker thread and the jobs it is running. */
class Lane {
  private worker?: Worker;
  private readonly jobs = new Map<number, JobHandlers>();
  private idle?: NodeJS.Timeout;

  constructor(readonly algorithms: OffloadedAlgorithm[]) {}

  get running(): boolean {
    return this.worker !== undefined;
  }

  open(id: number, handlers: JobHandlers): void {
    clearTimeout(this.idle);
    this.jobs.set(id, handlers);
    this.post({ t: 'open', id, algorithms: this.algorithms });
    // Running jobs keep the process alive; an idle worker does not (tests, CLI commands).
    this.worker!.ref();
  }

  post(message: unknown, transfer?: ArrayBuffer[]): void {
    this.started().postMessage(message, transfer);
  }

  forget(id: number): void {
    if (!this.jobs.delete(id)) return;
    this.post({ t: 'drop', id });
    this.unrefWhenIdle();
  }

  private unrefWhenIdle(): void {
    if (this.jobs.size || !this.worker) return;
    this.worker.unref();
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.retire(), idleMs).unref();
  }

  /** No job came for `idleMs`: the worker exits; the next job starts another. */
  private retire(): void {
    const worker = this.worker;
    if (!worker || this.jobs.size) return;
    this.worker = undefined; // its exit event now concerns no job
    void worker.terminate();
    if (!lanes?.some((l) => l.running)) freeBatches.length = 0;
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (m: Reply) => {
      const job = this.jobs.get(m.id);
      if (!job) return;
      if (m.t === 'ack') job.ack(m.n, m.s);
      else {
        this.jobs.delete(m.id);
        this.unrefWhenIdle();
        job.done(m.d);
      }
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return; // retired while idle: it had no jobs
      this.worker = undefined;
      const jobs = [...this.jobs.values()];
      this.jobs.clear();
      for (const job of jobs) job.fail(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`digest worker exited with code ${code}`)));
    worker.unref(); // after the listeners, which ref it
    this.worker = worker;
    return worker;
  }
}

let lanes: Lane[] | undefined;
let nextId = 1;

/** md5, sha1 and sha512 of a stream of bytes, computed in the digest workers. */
export class OffloadedDigests {
  private readonly id = nextId++;
  private readonly lanes = (lanes ??= LANES.map((a) => new Lane(a)));
  private batch: Buffer[] = [];
  private batchBytes = 0;
  /** bytes posted to each lane and not yet hashed there */
  private readonly inFlight: number[];
  private readonly results: Promise<Record<string, string>>[];
  private room?: { resolve: () => void; reject: (err: Error) => void };
  /** batches posted, by sequence number, with how many lanes have not hashed them yet */
  private readonly posted = new Map<number, { buffer: SharedArrayBuffer; lanes: number }>();
  private seq = 0;
  private failure?: Error;

  constructor() {
    this.inFlight = this.lanes.map(() => 0);
    this.results = this.lanes.map(
      (lane, i) =>
        new Promise((resolve, reject) =>
          lane.open(this.id, {
            ack: (n, seq) => {
              this.inFlight[i] -= n;
              this.release(seq);
              this.wake();
            },
            done: resolve,
            fail: (err) => {
              this.failure = err;
              this.wake();
              reject(err);
            },
          }),
        ),
    );
    // A job abandoned after a failure must not surface as an unhandled rejection.
    for (const r of this.results) r.catch(() => undefined);
  }

  update(chunk: Buffer): void {
    if (this.batchBytes + chunk.length > BATCH) this.flush();
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
  }

  /** A promise to wait on before the next chunk when the workers are behind; undefined when there is room. */
  backpressure(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (Math.max(...this.inFlight) <= MAX_IN_FLIGHT) return undefined;
    return new Promise((resolve, reject) => (this.room = { resolve, reject }));
  }

  async digests(): Promise<Record<OffloadedAlgorithm, string>> {
    this.flush();
    this.lanes.forEach((lane) => lane.post({ t: 'end', id: this.id }));
    const parts = await Promise.all(this.results);
    return Object.assign({}, ...parts) as Record<OffloadedAlgorithm, string>;
  }

  /** Stops the job (the upload failed); its state in the workers is dropped. */
  abort(): void {
    this.batch = [];
    this.lanes.forEach((lane) => lane.forget(this.id));
  }

  private flush(): void {
    if (!this.batchBytes) return;
    const [chunks, size] = [this.batch, this.batchBytes];
    this.batch = [];
    this.batchBytes = 0;
    // One copy in shared memory, read by every lane; a chunk larger than a batch gets its own.
    const buffer =
      size <= BATCH
        ? (freeBatches.pop() ?? new SharedArrayBuffer(BATCH))
        : new SharedArrayBuffer(size);
    const view = new Uint8Array(buffer);
    let offset = 0;
    for (const c of chunks) {
      view.set(c, offset);
      offset += c.length;
    }
    const seq = this.seq++;
    this.posted.set(seq, { buffer, lanes: this.lanes.length });
    this.lanes.forEach((lane, i) => {
      this.inFlight[i] += size;
      lane.post({ t: 'data', id: this.id, s: seq, b: buffer, n: size });
    });
  }

  /** A lane is done with batch `seq`: once all are, the batch is free for reuse. */
  private release(seq: number): void {
    const p = this.posted.get(seq);
    if (!p || --p.lanes > 0) return;
    this.posted.delete(seq);
    if (p.buffer.byteLength === BATCH && freeBatches.length < MAX_FREE_BATCHES)
      freeBatches.push(p.buffer);
  }

  private wake(): void {
    const room = this.room;
    if (!room) return;
    if (this.failure) {
      this.room = undefined;
      room.reject(this.failure);
    } else if (Math.max(...this.inFlight) <= MAX_IN_FLIGHT) {
      this.room = undefined;
      room.resolve();
    }
  }
}

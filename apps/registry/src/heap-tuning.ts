import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past its live size before the next full
 * collection: 1.8×. Left to itself, V8 picks 1.1–4× from how busy the collector looks:
 *
 * - under a load of small requests it let ~50 MiB of live heap carry 100–120 MiB of
 *   garbage (peak RSS 340–380 MiB in the bench);
 * - under a large upload or download it chose a small factor, and the Buffers in flight
 *   (counted against the same limit) then started a full collection every ~32 MiB of
 *   data: 37% of the CPU, half the throughput.
 *
 * 1.8× (with `--max-semi-space-size=2`, so Buffers are scavenged every few MiB) holds
 * both: peak RSS under 200 MiB through the bench, and no collection storm (README,
 * Performance). A flag given on the command line wins. Set here, imported first by
 * main.ts: Node refuses this V8 flag in NODE_OPTIONS.
 */
export const HEAP_GROWING_PERCENT = 80;

if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent')))
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);

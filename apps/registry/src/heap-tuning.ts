import { setFlagsFromString } from 'node:v8';

/**
 * V8 lets the old generation grow by up to 4× its live size between full collections
 * when it judges the collector slow: under a request load that is garbage, and Wharf's
 * ~50 MiB of live heap became 150–170 MiB of RSS. A fixed 1.4× holds the peak near
 * 140 MiB for about 5% of throughput (README, Performance). A flag given on the command
 * line wins. Imported first by main.ts, so it holds before anything is allocated.
 * (Not a NODE_OPTIONS flag: Node refuses V8's heap-growing flag there.)
 */
export const HEAP_GROWING_PERCENT = 40;

if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent')))
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);

import { ValueTransformer } from 'typeorm';

/**
 * mysql2 returns BIGINT as a string; every bigint column here (sizes, unix times, ids)
 * fits in a JS safe integer, so read it back as a number.
 */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) =>
    value === null || value === undefined ? value : Number(value),
};

/** Seconds since the epoch, the unit of every `*_unix` column. */
export function nowUnix(): number {
  return Math.floor(Date.now() / 1000);
}

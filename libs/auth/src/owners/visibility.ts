import { Visibility } from '@wharf/packages-core';

/** The API spelling of each visibility (Forgejo's). */
export const VISIBILITY_NAMES: Record<Visibility, 'public' | 'limited' | 'private'> = {
  [Visibility.Public]: 'public',
  [Visibility.Limited]: 'limited',
  [Visibility.Private]: 'private',
};

export type VisibilityName = (typeof VISIBILITY_NAMES)[Visibility];

export function parseVisibility(name: string): Visibility | undefined {
  const entry = Object.entries(VISIBILITY_NAMES).find(([, n]) => n === name);
  return entry ? (Number(entry[0]) as Visibility) : undefined;
}

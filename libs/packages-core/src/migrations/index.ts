import { Initial1764165600000 } from './1764165600000-Initial';

/** Every migration, in order. Listed explicitly so the bundled server needs no glob. */
export const MIGRATIONS = [Initial1764165600000];

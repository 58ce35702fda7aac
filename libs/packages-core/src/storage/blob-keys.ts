/**
 * Every storage key Wharf uses is built here, from generated ids only — never from a
 * name, version or path a client sent — so no request string can address a path.
 *
 *   <root>/
 *   ├── blobs/<aa>/<bb>/<id>    committed content; one object per package_blob row
 *   │                           (<id> = 32 lower-case hex chars, random; aa, bb = its
 *   │                           first two pairs, to keep directories small)
 *   └── uploads/<id>            staging objects of an ingest or upload session in progress;
 *       └── <offset>            a package_blob_upload row names each one, so the cleanup job
 *                               can remove what a crashed process left behind; a resumable
 *                               session keeps its first part at blobs/…/<id> (so a one-part
 *                               upload commits where it lies) and each later part under
 *                               uploads/<id>/<offset>, the offset zero-padded to 16 digits
 *
 * The filesystem driver additionally keeps `.tmp/` under its root for files being
 * written (never listed, never a key).
 */
import { randomBytes } from 'node:crypto';
import { InvalidBlobKeyError } from './blob-storage';

const ID = /^[0-9a-f]{32}$/;
const KEY =
  /^(blobs\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}|uploads\/[0-9a-f]{32}(\/[0-9a-z_.-]{1,64})?|[a-z0-9][a-z0-9_.-]{0,63}(\/[a-z0-9][a-z0-9_.-]{0,63}){0,7})$/;

/** A new random storage id (128 bits, hex). */
export function generateStorageId(): string {
  return randomBytes(16).toString('hex');
}

/** Key of a committed blob. */
export function blobKey(storageId: string): string {
  if (!ID.test(storageId)) throw new InvalidBlobKeyError(storageId);
  return `blobs/${storageId.slice(0, 2)}/${storageId.slice(2, 4)}/${storageId}`;
}

/** Key of a staging object (ingest in progress, or an upload session's data). */
export function uploadKey(sessionId: string): string {
  if (!ID.test(sessionId)) throw new InvalidBlobKeyError(sessionId);
  return `uploads/${sessionId}`;
}

/** Key of the part of upload session `sessionId` that starts at byte `offset`. */
export function uploadPartKey(sessionId: string, offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidBlobKeyError(String(offset));
  if (offset === 0) return blobKey(sessionId);
  return `${uploadKey(sessionId)}/${String(offset).padStart(16, '0')}`;
}

/**
 * The one key check: lower-case segments of safe characters, no empty segment, no `.`
 * or `..`, no leading slash, bounded depth and length. Applied by the storage wrapper
 * to every call, so a driver never sees a key that could escape its root.
 */
export function assertValidBlobKey(key: string): void {
  if (key.length > 512 || !KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new InvalidBlobKeyError(key);
  }
}

/** Prefix check for `list`: a valid key or a valid key followed by `/`, or empty. */
export function assertValidBlobPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidBlobKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

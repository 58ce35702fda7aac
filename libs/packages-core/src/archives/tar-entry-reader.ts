import { PassThrough, Readable, Transform, TransformCallback, pipeline } from 'node:stream';
import * as tar from 'tar-stream';
import {
  InvalidArtifactError,
  RegistryError,
  RegistryErrorCode,
  UnsafeArchiveEntryError,
} from '../errors/registry-error';
import { decompress, sniffCompression, TarCompression } from './decompress-stream';

export type { TarCompression } from './decompress-stream';

/*
 * Reads a tar archive as a stream (charts, npm tarballs, sdists; next: crates, gems, conda,
 * arch and alpine packages, debian control.tar.*), plain or compressed. tar-stream does the
 * tar parsing, libraries the decompression (decompress-stream.ts); this file adds the
 * registry's limits and refusals. Nothing is extracted to disk: entry names are compared,
 * never joined to a path, but an archive with a name a client would write outside its
 * target, or with a link, is not a package the registry stores.
 */

export interface TarReadOptions {
  /** Largest entry read into memory by `read()` (as declared by its header, which tar trusts). */
  maxEntrySize: number;
  /** Largest number of bytes of tar (decompressed) read in all: a decompression bomb stops here. */
  maxUnpacked: number;
  /** Largest number of entries (every header counts, directories too). */
  maxEntries?: number;
  /** `detect` (the default) reads the magic bytes; `none` is a plain tar. */
  compression?: TarCompression | 'detect';
  /** Accept symlink and hardlink entries (their targets still may not leave the archive). */
  allowLinks?: boolean;
  /** How messages name the archive: "the chart", "the tarball"; default "the tar archive". */
  label?: string;
}

export type TarEntryType = tar.Header['type'];

export interface TarEntryHeader {
  /** The name as stored (after pax/GNU long-name records), not normalised: `./x` stays `./x`. */
  name: string;
  type: TarEntryType;
  size: number;
  /** The target of a symlink or hardlink. */
  linkname?: string;
  mode?: number;
}

export interface TarEntry extends TarEntryHeader {
  /** The content, whole; ArchiveBudgetError when it is over `maxEntrySize`. */
  read(): Promise<Buffer>;
  /** The content as a stream, bounded only by `maxUnpacked`. Consume it before the next entry. */
  stream(): Readable;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * A budget passed (entry size, total unpacked, entry count): 413, and not an
 * InvalidArtifactError, because it is no defect of the archive a format may tolerate (PyPI
 * stores an sdist it cannot read) but a refusal to spend more on it, which nothing swallows.
 */
export class ArchiveBudgetError extends RegistryError {
  constructor(message: string) {
    super(RegistryErrorCode.PayloadTooLarge, message);
    this.name = 'ArchiveBudgetError';
  }
}

/**
 * Each entry of the archive, in order; an entry's content not read before the next is asked
 * for is skipped. Throws InvalidArtifactError (400) for a corrupt, truncated or wrongly
 * compressed archive or an unsafe entry (see `assertSafeEntry`), ArchiveBudgetError (413)
 * for a budget passed, and an error of the archive stream itself as it is. Leaving the loop
 * early releases the archive and the decompressor.
 */
export async function* walkTar(
  archive: Readable,
  options: TarReadOptions,
): AsyncGenerator<TarEntry, void, undefined> {
  const label = options.label ?? 'the tar archive';
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const { input, compression, ioError } = await sniffCompression(
    archive,
    options.compression ?? 'detect',
  );
  const overBudget = () =>
    new ArchiveBudgetError(`${label} unpacks to more than ${options.maxUnpacked} bytes`);
  const tarBytes = decompress(input, compression, options.maxUnpacked, overBudget);
  const extract = tar.extract();
  pipeline(tarBytes, new ByteBudget(options.maxUnpacked, overBudget), extract, () => undefined);
  const failed = (err: unknown) => ioError() ?? asArtifactError(err, label, compression);
  let count = 0;
  try {
    for await (const raw of extract) {
      if (++count > maxEntries)
        throw new ArchiveBudgetError(`${label} has more than ${maxEntries} entries`);
      const header = headerOf(raw.header);
      assertSafeEntry(header, label, options.allowLinks === true);
      const content = raw as unknown as Readable;
      let taken = false;
      // The caller reads an entry outside this generator's try: its failures (a truncated
      // archive ends inside an entry) are translated here as well, never raw zlib errors.
      yield {
        ...header,
        read: () => {
          taken = true;
          return readAll(content, header, options.maxEntrySize, label).catch((err: unknown) => {
            throw failed(err);
          });
        },
        stream: () => {
          taken = true;
          const out = new PassThrough();
          content.once('error', (err) => out.destroy(failed(err) as Error));
          return content.pipe(out);
        },
      };
      if (!taken) content.resume();
    }
  } catch (err) {
    // An error of the archive stream itself (storage down) says nothing about the archive.
    throw failed(err);
  } finally {
    archive.destroy();
    tarBytes.destroy();
    extract.destroy();
  }
}

/**
 * The content of the first regular file whose header `select` accepts, or undefined when none
 * does. The whole archive is read even after the match, so an unsafe entry or a budget passed
 * anywhere in it refuses the archive (same errors as `walkTar`).
 */
export async function readTarEntry(
  archive: Readable,
  select: (entry: TarEntryHeader) => boolean,
  options: TarReadOptions,
): Promise<Buffer | undefined> {
  let found: Buffer | undefined;
  for await (const entry of walkTar(archive, options)) {
    if (found === undefined && isRegularFile(entry.type) && select(entry))
      found = await entry.read();
  }
  return found;
}

function isRegularFile(type: TarEntryType): boolean {
  return type === 'file' || type === 'contiguous-file';
}

/**
 * Refuses (UnsafeArchiveEntryError), naming the entry and the rule: an empty name, `..` segments, absolute paths
 * (`/x`, `C:\x`, `C:x`), backslashes, control characters (NUL included); device and fifo
 * entries; links unless allowed, and then a link whose target leaves the archive.
 */
export function assertSafeEntry(entry: TarEntryHeader, label: string, allowLinks: boolean): void {
  const refuse = (rule: string) =>
    new UnsafeArchiveEntryError(
      `${label} has an entry ${JSON.stringify(entry.name.slice(0, 200))} that is refused: ${rule}`,
    );
  const nameRule = unsafeNameRule(entry.name);
  if (nameRule) throw refuse(nameRule);
  switch (entry.type) {
    case 'symlink':
    case 'link': {
      const kind = entry.type === 'symlink' ? 'a symbolic link' : 'a hard link';
      if (!allowLinks) throw refuse(`it is ${kind}, and links are not accepted in this format`);
      const target = entry.linkname ?? '';
      // A hardlink names another entry; a symlink is resolved from its own directory.
      const resolved =
        entry.type === 'link'
          ? target
          : `${entry.name.split('/').slice(0, -1).join('/')}/${target}`;
      const targetRule =
        unsafeNameRule(target) ??
        (leavesRoot(resolved) ? 'it points outside the archive' : undefined);
      if (targetRule)
        throw refuse(
          `its link target ${JSON.stringify(target.slice(0, 200))} is unsafe (${targetRule})`,
        );
      return;
    }
    case 'block-device':
    case 'character-device':
    case 'fifo':
      throw refuse(`it is a ${entry.type}, which no package holds`);
    default:
      return;
  }
}

function unsafeNameRule(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the name holds a control character';
  if (name.includes('\\')) return 'the name holds a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'the name is an absolute path';
  if (name.split('/').includes('..')) return 'the name has a ".." segment';
  return undefined;
}

/** True when a relative path climbs above its start (`a/../../x`). */
function leavesRoot(path: string): boolean {
  let depth = 0;
  for (const segment of path.split('/')) {
    if (segment === '..') depth--;
    else if (segment !== '' && segment !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

function headerOf(h: tar.Header): TarEntryHeader {
  return {
    name: h.name,
    type: h.type,
    size: h.size ?? 0,
    linkname: h.linkname ?? undefined,
    mode: h.mode,
  };
}

async function readAll(
  content: Readable,
  entry: TarEntryHeader,
  max: number,
  label: string,
): Promise<Buffer> {
  const tooLarge = (n: number) =>
    new ArchiveBudgetError(
      `${label} has an entry ${JSON.stringify(entry.name.slice(0, 200))} of ${n} bytes; at most ${max} are read`,
    );
  if (entry.size > max) throw tooLarge(entry.size);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of content) {
    total += (chunk as Buffer).length;
    if (total > max) throw tooLarge(total);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

function asArtifactError(err: unknown, label: string, compression: TarCompression): RegistryError {
  if (err instanceof RegistryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const kind = compression === 'none' ? 'tar archive' : `${compression}-compressed tar archive`;
  return new InvalidArtifactError(`${label} is not a valid ${kind} (${message})`);
}

/** Passes bytes through until `max`, then fails: bounds the work a decompression bomb can cause. */
class ByteBudget extends Transform {
  private seen = 0;

  constructor(
    private readonly max: number,
    private readonly overBudget: () => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) done(this.overBudget());
    else done(null, chunk);
  }
}

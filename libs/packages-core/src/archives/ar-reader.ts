import { Readable } from 'node:stream';
import {
  InvalidArtifactError,
  RegistryError,
  RegistryErrorCode,
  UnsafeArchiveEntryError,
} from '../errors/registry-error';
import { ArchiveBudgetError } from './tar-entry-reader';

/*
 * Reads Unix `ar` archives as a stream: the container of Debian binary packages (deb(5):
 * `debian-binary`, `control.tar.*`, `data.tar.*`) and of static libraries. The format is
 * small enough to read here: an 8-byte magic, then per member a 60-byte header
 * (name 16, mtime 12, uid 6, gid 6, mode 8 octal, size 10 decimal, "`\n") and the data,
 * padded to an even offset with "\n". Two naming extensions exist: GNU (a trailing "/",
 * a "//" member holding long names, "/<offset>" pointing into it, "/" or "/SYM64/" for the
 * symbol table) and BSD ("#1/<length>": the name is the first <length> bytes of the data).
 * Member names are compared, never joined to a path; an unsafe one refuses the archive.
 */

export interface ArReadOptions {
  /** Largest number of members (symbol and name tables count). */
  maxMembers?: number;
  /** Largest GNU long-name table ("//") or BSD name read, in bytes. */
  maxNameBytes?: number;
  /** How messages name the archive: "the package"; default "the ar archive". */
  label?: string;
}

export interface ArMemberHeader {
  /** The member's name, without the GNU trailing "/". */
  name: string;
  /** Bytes of content (a BSD long name excluded). */
  size: number;
  mtime: number;
  uid: number;
  gid: number;
  mode: number;
}

export interface ArMember extends ArMemberHeader {
  /** The content, whole; ArchiveBudgetError (413) when it is over `max` bytes. */
  read(max: number): Promise<Buffer>;
  /** The content as a stream. Consume (or destroy) it before asking for the next member. */
  stream(): Readable;
}

export const AR_MAGIC = Buffer.from('!<arch>\n', 'latin1');
const HEADER_SIZE = 60;
const DEFAULT_MAX_MEMBERS = 1000;
const DEFAULT_MAX_NAME_BYTES = 64 * 1024;

/** True when `head` starts like an ar archive. */
export function isArArchive(head: Buffer): boolean {
  return head.length >= AR_MAGIC.length && head.subarray(0, AR_MAGIC.length).equals(AR_MAGIC);
}

/**
 * Each member of the archive, in order; a member's content not read before the next is
 * asked for is skipped. Symbol tables and the GNU name table are not yielded. Throws
 * InvalidArtifactError (400) for a stream that is not an ar archive, a malformed header or
 * a truncated member, UnsafeArchiveEntryError (400) for a name that is empty, holds a
 * "/", a backslash or a control character, or is "." or "..", and ArchiveBudgetError
 * (413) past `maxMembers` or `maxNameBytes`. An error of the stream itself propagates as
 * it is. Leaving the loop early destroys the archive stream.
 */
export async function* walkAr(
  archive: Readable,
  options: ArReadOptions = {},
): AsyncGenerator<ArMember, void, undefined> {
  const label = options.label ?? 'the ar archive';
  const maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS;
  const maxNameBytes = options.maxNameBytes ?? DEFAULT_MAX_NAME_BYTES;
  const input = new ByteReader(archive, label);
  try {
    const magic = await input.upTo(AR_MAGIC.length);
    if (!magic.equals(AR_MAGIC))
      throw new InvalidArtifactError(
        `${label} is not an ar archive (it must start with "!<arch>")`,
      );
    let longNames: Buffer | undefined;
    for (let count = 0; ;) {
      // A lone "\n" after the last member is padding some writers leave.
      const header = await input.upTo(HEADER_SIZE);
      if (header.length === 0 || (header.length === 1 && header[0] === 0x0a)) return;
      if (header.length < HEADER_SIZE)
        throw new InvalidArtifactError(`${label} is truncated (a member header is cut short)`);
      if (++count > maxMembers)
        throw new ArchiveBudgetError(`${label} has more than ${maxMembers} members`);
      const raw = parseHeader(header, label);
      let { size } = raw;
      let name = raw.name;
      if (name === '/' || name === '/SYM64/') {
        await input.skip(size + (size % 2), 'a symbol table');
        continue;
      }
      if (name === '//') {
        if (size > maxNameBytes)
          throw new ArchiveBudgetError(
            `${label} has a long-name table of ${size} bytes; at most ${maxNameBytes} are read`,
          );
        longNames = await input.exactly(size, 'the long-name table');
        await input.skip(size % 2, 'the long-name table');
        continue;
      }
      if (/^#1\/\d+$/.test(name)) {
        const length = Number(name.slice(3));
        if (length > maxNameBytes)
          throw new ArchiveBudgetError(`${label} has a member name of ${length} bytes`);
        if (length > size) throw new InvalidArtifactError(`${label} has a malformed member name`);
        name = (await input.exactly(length, 'a member name')).toString('utf8').replace(/\0+$/, '');
        size -= length;
      } else if (/^\/\d+$/.test(name)) {
        name = gnuLongName(longNames, Number(name.slice(1)), label);
      } else if (name.endsWith('/')) {
        name = name.slice(0, -1);
      }
      assertSafeMemberName(name, label);
      const content = input.member(size, raw.size % 2);
      yield {
        ...raw,
        name,
        size,
        read: (max) => readAll(content.stream(), name, size, max, label),
        stream: () => content.stream(),
      };
      await content.finish();
    }
  } finally {
    archive.destroy();
  }
}

/** A member located in the archive: its header and where its content starts. */
export interface ArIndexEntry extends ArMemberHeader {
  /** Byte offset of the content (after a BSD name) in the archive. */
  offset: number;
}

/**
 * The members of an archive stored whole (a staged upload), read by byte ranges: only the
 * magic, each 60-byte header and the name tables are fetched, never a member's content,
 * so a package's data member costs nothing to walk past. Same names, rules and errors as
 * {@link walkAr}; besides, the archive must end where its last member does (a member
 * running past the end is a truncated archive, bytes after the last one are refused).
 * `open(start, end)` reads bytes `start..end` inclusive.
 */
export async function readArIndex(
  open: (start: number, end: number) => Promise<Readable>,
  size: number,
  options: ArReadOptions = {},
): Promise<ArIndexEntry[]> {
  const label = options.label ?? 'the ar archive';
  const maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS;
  const maxNameBytes = options.maxNameBytes ?? DEFAULT_MAX_NAME_BYTES;
  const truncated = (what: string) =>
    new InvalidArtifactError(`${label} is truncated (${what} is cut short)`);
  const read = async (start: number, length: number, what: string): Promise<Buffer> => {
    if (start + length > size) throw truncated(what);
    if (length === 0) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    for await (const chunk of await open(start, start + length - 1)) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== length) throw truncated(what);
    return bytes;
  };
  if (size < AR_MAGIC.length || !(await read(0, AR_MAGIC.length, 'the magic')).equals(AR_MAGIC))
    throw new InvalidArtifactError(`${label} is not an ar archive (it must start with "!<arch>")`);
  const entries: ArIndexEntry[] = [];
  let longNames: Buffer | undefined;
  let at = AR_MAGIC.length;
  for (let count = 0; at < size;) {
    if (++count > maxMembers)
      throw new ArchiveBudgetError(`${label} has more than ${maxMembers} members`);
    const raw = parseHeader(await read(at, HEADER_SIZE, 'a member header'), label);
    const start = at + HEADER_SIZE;
    // The last member's padding byte may be missing; anything else past the end is not.
    if (start + raw.size > size) throw truncated('a member');
    at = Math.min(size, start + raw.size + (raw.size % 2));
    if (raw.name === '/' || raw.name === '/SYM64/') continue;
    if (raw.name === '//') {
      if (raw.size > maxNameBytes)
        throw new ArchiveBudgetError(
          `${label} has a long-name table of ${raw.size} bytes; at most ${maxNameBytes} are read`,
        );
      longNames = await read(start, raw.size, 'the long-name table');
      continue;
    }
    let name = raw.name;
    let offset = start;
    let length = raw.size;
    if (/^#1\/\d+$/.test(name)) {
      const nameLength = Number(name.slice(3));
      if (nameLength > maxNameBytes)
        throw new ArchiveBudgetError(`${label} has a member name of ${nameLength} bytes`);
      if (nameLength > raw.size)
        throw new InvalidArtifactError(`${label} has a malformed member name`);
      name = (await read(start, nameLength, 'a member name')).toString('utf8').replace(/\0+$/, '');
      offset += nameLength;
      length -= nameLength;
    } else if (/^\/\d+$/.test(name)) {
      name = gnuLongName(longNames, Number(name.slice(1)), label);
    } else if (name.endsWith('/')) {
      name = name.slice(0, -1);
    }
    assertSafeMemberName(name, label);
    entries.push({ ...raw, name, size: length, offset });
  }
  return entries;
}

function parseHeader(header: Buffer, label: string): ArMemberHeader {
  if (header[58] !== 0x60 || header[59] !== 0x0a)
    throw new InvalidArtifactError(`${label} is corrupt (a member header does not end in "\`\\n")`);
  const field = (start: number, length: number) =>
    header.toString('latin1', start, start + length).trimEnd();
  const number = (start: number, length: number, radix: number, what: string) => {
    const text = field(start, length);
    const digits = radix === 8 ? /^[0-7]*$/ : /^\d*$/;
    if (!digits.test(text))
      throw new InvalidArtifactError(`${label} is corrupt (a member's ${what} is not a number)`);
    return text === '' ? 0 : parseInt(text, radix);
  };
  const size = number(48, 10, 10, 'size');
  if (field(48, 10) === '')
    throw new InvalidArtifactError(`${label} is corrupt (a member header has no size)`);
  return {
    name: field(0, 16),
    mtime: number(16, 12, 10, 'date'),
    uid: number(28, 6, 10, 'owner'),
    gid: number(34, 6, 10, 'group'),
    mode: number(40, 8, 8, 'mode'),
    size,
  };
}

/** A GNU long name: "/<offset>" into the "//" member, each name ending in "/\n". */
function gnuLongName(table: Buffer | undefined, offset: number, label: string): string {
  if (!table || offset >= table.length)
    throw new InvalidArtifactError(`${label} names a member through a long-name table it lacks`);
  const end = table.indexOf('\n', offset);
  const entry = table.toString('utf8', offset, end < 0 ? table.length : end);
  return entry.endsWith('/') ? entry.slice(0, -1) : entry;
}

/** Refuses names a client extracting the archive could be led astray by. */
function assertSafeMemberName(name: string, label: string): void {
  const refuse = (rule: string) =>
    new UnsafeArchiveEntryError(
      `${label} has a member ${JSON.stringify(name.slice(0, 200))} that is refused: ${rule}`,
    );
  if (name === '') throw refuse('the name is empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw refuse('the name holds a control character');
  if (name.includes('\\')) throw refuse('the name holds a backslash');
  if (name.includes('/')) throw refuse('the name holds a path separator');
  if (name === '.' || name === '..') throw refuse(`the name is "${name}"`);
}

async function readAll(
  content: Readable,
  name: string,
  size: number,
  max: number,
  label: string,
): Promise<Buffer> {
  if (size > max) {
    content.destroy();
    throw new ArchiveBudgetError(
      `${label} has a member ${JSON.stringify(name)} of ${size} bytes; at most ${max} are read`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks, size);
}

/** Bytes pulled from the archive stream on demand. */
class ByteReader {
  private readonly source: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private available = 0;
  private ended = false;

  constructor(
    archive: Readable,
    private readonly label: string,
  ) {
    this.source = archive[Symbol.asyncIterator]();
  }

  /** Up to `n` bytes: fewer only when the archive ends first. */
  async upTo(n: number): Promise<Buffer> {
    while (!this.ended && this.available < n) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else if ((next.value as Buffer).length) {
        this.chunks.push(next.value as Buffer);
        this.available += (next.value as Buffer).length;
      }
    }
    return this.take(Math.min(n, this.available));
  }

  /** Exactly `n` bytes, or a 400 naming `what` as truncated. */
  async exactly(n: number, what: string): Promise<Buffer> {
    const bytes = await this.upTo(n);
    if (bytes.length < n)
      throw new InvalidArtifactError(`${this.label} is truncated (${what} is cut short)`);
    return bytes;
  }

  async skip(n: number, what: string): Promise<void> {
    for (let left = n; left > 0;) {
      const part = await this.upTo(Math.min(left, 64 * 1024));
      if (part.length === 0)
        throw new InvalidArtifactError(`${this.label} is truncated (${what} is cut short)`);
      left -= part.length;
    }
  }

  /**
   * The next `size` bytes as a member's content, then `padding` bytes to skip: `stream()`
   * yields them as they arrive; `finish()` skips what the consumer left unread.
   */
  member(size: number, padding: number): { stream(): Readable; finish(): Promise<void> } {
    let left = size;
    let started = false;
    // The read a destroyed member stream may still have under way: `finish` waits for it,
    // so two reads never take bytes from the archive at once.
    let inflight: Promise<Buffer> | undefined;
    const read = async () => {
      const part = await this.upTo(Math.min(left, 64 * 1024));
      left -= part.length;
      return part;
    };
    const label = this.label;
    async function* pull(): AsyncGenerator<Buffer> {
      while (left > 0) {
        const part = await (inflight = read());
        if (part.length === 0)
          throw new InvalidArtifactError(`${label} is truncated (a member is cut short)`);
        yield part;
      }
    }
    return {
      stream: () => {
        if (started)
          throw new RegistryError(RegistryErrorCode.Internal, 'an ar member is read only once');
        started = true;
        return Readable.from(pull(), { objectMode: false });
      },
      finish: async () => {
        await inflight?.catch(() => undefined);
        await this.skip(left, 'a member');
        left = 0;
        await this.skip(padding, 'a member');
      },
    };
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.available = rest.length;
    return out;
  }
}

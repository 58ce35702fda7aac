import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { PackageAccessService, Principal, UserService } from '@wharf/auth';
import {
  AppConfig,
  BLOB_STORAGE,
  ContentDigests,
  BlobStorage,
  IngestService,
  PackageBlobEntity,
  PackageCatalogQuery,
  PackageFileEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  PayloadTooLargeError,
  QuotaService,
  StagedContent,
  UploadSession,
  UploadSessionStore,
  uploadPartKey,
  UserEntity,
} from '@wharf/packages-core';
import { OciError, OciErrorCode } from './container.errors';
import {
  BLOBS_VERSION,
  ImageName,
  parseDigest,
  parseImageName,
  sha256Of,
} from './container.metadata';
import { policySubject } from './container-token.service';
import { RunningSha256 } from './running-sha256';
import { uploadMeter } from './upload-meter';

/** An upload session's state column: the offsets of its parts, the first part's digests, and a writer's claim. */
interface SessionState {
  /** offset of each stored part, ascending (stored at `uploadPartKey(id, offset)`) */
  parts: number[];
  /**
   * Digests of the first part, while it is the only one: a blob sent in one piece (docker's
   * single PATCH, or a PUT with the body) is committed where it lies without being read again.
   */
  first?: ContentDigests;
  /** set while one request writes a part or finishes: a concurrent one is refused, not interleaved */
  claim?: string;
}

// The state column is TEXT (64 KiB on MySQL): this many parts fit with room to spare.
const MAX_PARTS = 3000;

export interface BlobLink {
  digest: string;
  /** the link: a file of the image's `_blobs` version, named by the digest */
  file: PackageFileEntity;
  blob: PackageBlobEntity;
}

/**
 * Blobs of an image: the links (`_blobs` internal version, one file per digest, like
 * distribution's layer links), monolithic uploads, resumable chunked sessions and mounts.
 */
@Injectable()
export class ContainerBlobsService {
  private readonly running = new RunningSha256();
  private readonly log = new Logger(ContainerBlobsService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly packages: PackageService,
    private readonly query: PackageQueryService,
    private readonly sessions: UploadSessionStore,
    private readonly catalog: PackageCatalogQuery,
    private readonly users: UserService,
    private readonly access: PackageAccessService,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly quota: QuotaService,
  ) {}

  /** The blob when `digest` is linked to the image; undefined otherwise. */
  async findLink(
    owner: UserEntity,
    name: ImageName,
    digest: string,
  ): Promise<BlobLink | undefined> {
    const found = await this.query.findFileByPath(
      owner.id,
      PackageType.Container,
      name.image,
      BLOBS_VERSION,
      digest,
    );
    return found ? { digest, file: found.file, blob: found.blob } : undefined;
  }

  /** Links of several digests at once (manifest validation): digest → blob. */
  async findLinks(
    owner: UserEntity,
    name: ImageName,
    digests: string[],
  ): Promise<Map<string, PackageBlobEntity>> {
    const out = new Map<string, PackageBlobEntity>();
    const pkg = await this.query.findPackage(owner.id, PackageType.Container, name.image);
    const version = pkg && (await this.query.findVersion(pkg.id, BLOBS_VERSION));
    if (!version) return out;
    for (const digest of digests) {
      const file = await this.query.findFile(version.id, digest);
      const blob = file && (await this.query.getBlob(file.blobId));
      if (blob) out.set(digest, blob);
    }
    return out;
  }

  /** Removes the link (the periodic collection then frees unreferenced bytes); false when there was none. */
  async unlink(owner: UserEntity, name: ImageName, digest: string): Promise<boolean> {
    const pkg = await this.query.findPackage(owner.id, PackageType.Container, name.image);
    const version = pkg && (await this.query.findVersion(pkg.id, BLOBS_VERSION));
    const file = version && (await this.query.findFile(version.id, digest));
    if (!file) return false;
    await this.packages.deleteFile(file.id, false);
    return true;
  }

  /** Monolithic upload (`POST ?digest=`): one pass, digest checked before anything is linked. */
  async uploadMonolithic(
    owner: UserEntity,
    creatorId: number,
    name: ImageName,
    digest: string,
    body: Readable,
    declaredSize?: number,
  ): Promise<void> {
    // Layers are addressed and served by sha256 alone: the other digests wait until
    // someone asks (BlobDigestService), which keeps them off the push path.
    const staged = await this.ingest.ingestContent(body, {
      limit: this.limit(),
      declaredSize,
      quotaOwnerId: owner.id,
    });
    if (staged.sha256 !== sha256Of(digest)) {
      await this.ingest.discard(staged);
      throw new OciError(
        OciErrorCode.DigestInvalid,
        `the content's digest is sha256:${staged.sha256}, not ${digest}`,
      );
    }
    await this.link(owner, creatorId, name, digest, staged);
  }

  /**
   * end-11 cross-repository mount: links `mount` into the image when the caller may read
   * an image that holds it — the `from` image, or without `from` any image of the same
   * owner (OCI 1.1 lets the registry choose the source, and clients send a bare `mount`).
   * Returns the digest, or undefined when there is nothing to mount from: the caller then
   * opens a session, as the spec asks (an invalid `mount` or `from` included).
   */
  async mount(
    owner: UserEntity,
    principal: Principal,
    name: ImageName,
    mount: string,
    from: string | undefined,
  ): Promise<string | undefined> {
    const digest = attempt(() => parseDigest(mount));
    if (!digest) return undefined;
    const source = from === undefined ? { owner, name: undefined } : await this.sourceOf(from);
    if (!source || !(await this.access.canRead(policySubject(principal), source.owner)))
      return undefined;
    const link = source.name
      ? await this.findLink(source.owner, source.name, digest)
      : await this.catalog.findFileInOwner(
          source.owner.id,
          PackageType.Container,
          BLOBS_VERSION,
          digest,
        );
    if (!link) return undefined;
    await this.link(owner, principal.user.id, name, digest, { blobId: link.blob.id });
    return digest;
  }

  /** The image a `from` parameter names, with its owner; undefined when either is not there. */
  private async sourceOf(
    from: string,
  ): Promise<{ owner: UserEntity; name: ImageName } | undefined> {
    const slash = from.indexOf('/');
    const name =
      slash > 0
        ? attempt(() => parseImageName(from.slice(0, slash), from.slice(slash + 1)))
        : undefined;
    const owner = name && (await this.users.findOwner(name.owner));
    return owner ? { owner, name } : undefined;
  }

  async startSession(owner: UserEntity, name: ImageName): Promise<UploadSession> {
    return this.sessions.create(purposeOf(owner, name));
  }

  /** The session when it exists and belongs to this image (BLOB_UPLOAD_UNKNOWN otherwise). */
  async getSession(owner: UserEntity, name: ImageName, id: string): Promise<UploadSession> {
    const session = await this.sessions.find(id);
    if (!session || session.purpose !== purposeOf(owner, name))
      throw new OciError(OciErrorCode.BlobUploadUnknown, 'upload session not found');
    return session;
  }

  /**
   * Appends one chunk (PATCH, or the body of the closing PUT). `range` (Content-Range) must
   * start where the session stands (416 otherwise); without it, a stream is accepted only
   * as the first write, unless `final` (Forgejo's rule), which also keeps the session
   * claimed for the {@link finish} that follows. Where storage can append (fs) the chunk
   * goes onto the first part in place; on S3 it is an object of its own.
   */
  async append(
    owner: UserEntity,
    session: UploadSession,
    body: Readable,
    range: { start: number; end: number } | undefined,
    final = false,
  ): Promise<UploadSession> {
    if (range && range.start !== session.bytesReceived) {
      throw new OciError(
        OciErrorCode.BlobUploadInvalid,
        `chunk starts at ${range.start}, the session has ${session.bytesReceived} bytes`,
        { status: 416 },
      );
    }
    if (!range && !final && session.bytesReceived > 0)
      throw new OciError(
        OciErrorCode.BlobUploadInvalid,
        'Stream uploads after first write are not allowed',
      );
    const state = readState(session);
    if (state.parts.length >= MAX_PARTS)
      throw new OciError(
        OciErrorCode.BlobUploadInvalid,
        `an upload may have at most ${MAX_PARTS} chunks`,
      );
    // The owner's size limits and quota bound the whole session like the format's limit
    // (docs/protocols/core.md §8): a chunk that passes the room left is cut off, not stored.
    const room = (await this.quota.room(owner.id)).bytes;
    const limit = this.limit();
    const bound = room !== undefined && (limit === undefined || room < limit) ? room : limit;
    const claimed = await this.claim(session, state);
    const offset = session.bytesReceived;
    // Where the storage can grow an object (fs), every chunk goes onto the first part in
    // place, so closing the session moves nothing; on S3 each chunk is its own object.
    const inPlace = this.storage.appendable && state.parts.every((p) => p === 0);
    const key = uploadPartKey(session.id, inPlace ? 0 : offset);
    const hash = this.running.continueAt(session.id, offset);
    const meter = uploadMeter(offset, bound, hash);
    const chunk = pipeline(body, meter, () => undefined);
    // Undoes this chunk: its own object, or the bytes it added to the first part.
    const undo = async () => {
      if (inPlace && offset > 0) await this.storage.append(key, offset, Readable.from([]));
      else await this.storage.delete(key);
    };
    let written = 0;
    try {
      written = inPlace
        ? await this.storage.append(key, offset, chunk)
        : await this.storage.put(key, chunk);
    } catch (err) {
      await undo().catch(() => undefined);
      await this.sessions.compareAndSet(claimed, { bytesReceived: offset, state: session.state });
      if (err instanceof PayloadTooLargeError && bound !== limit)
        throw await this.quota.overRoom(owner.id, bound! + 1, true);
      throw err;
    }
    if (written === 0 && (!inPlace || offset === 0)) await this.storage.delete(key);
    // in place, the first part grows; otherwise the chunk is a part of its own
    const parts = written > 0 && !(inPlace && offset > 0) ? [...state.parts, offset] : state.parts;
    // Digests of the first part, kept while it is the whole upload (see SessionState.first).
    const first =
      offset === 0 && written > 0
        ? { size: written, sha256: hash!.copy().digest('hex') }
        : undefined;
    // The closing PUT's chunk keeps the claim: finish() goes on under it (one UPDATE fewer).
    const claim = final ? readState(claimed).claim : undefined;
    const next = {
      bytesReceived: offset + written,
      state: JSON.stringify({ parts, first, claim } satisfies SessionState),
    };
    if (!(await this.sessions.compareAndSet(claimed, next))) {
      // cancelled meanwhile: its parts are being removed; take this chunk's back too
      await undo().catch(() => undefined);
      throw new OciError(
        OciErrorCode.BlobUploadUnknown,
        'the upload session was cancelled meanwhile',
      );
    }
    if (hash) this.running.record(session.id, next.bytesReceived, hash);
    return { ...claimed, ...next };
  }

  /**
   * Closes a session (PUT ?digest=). A session that arrived in one part is checked against
   * that part's digests and committed where it lies (its first part is already at the
   * session's blob key). Several parts are joined into one object in a single streaming
   * pass that computes the digests; when the content is already stored, they are only
   * read to prove the client has it. `ownClaim`: the session comes from this request's
   * `append(…, final)`, which left it claimed for this close.
   */
  async finish(
    owner: UserEntity,
    creatorId: number,
    name: ImageName,
    session: UploadSession,
    digest: string,
    ownClaim = false,
  ): Promise<void> {
    const state = readState(session);
    // a session the closing PUT's chunk just went into is still claimed by this request
    const claimed = state.claim && ownClaim ? session : await this.claim(session, state);
    const release = () =>
      this.sessions.compareAndSet(claimed, {
        bytesReceived: session.bytesReceived,
        state: claimed === session ? JSON.stringify({ ...state, claim: undefined }) : session.state,
      });
    const wrongDigest = async (actual: string) => {
      await release();
      return new OciError(
        OciErrorCode.DigestInvalid,
        `the uploaded content's digest is sha256:${actual}, not ${digest}`,
      );
    };
    const size = session.bytesReceived;
    // All bytes lie in the first part (one chunk, or chunks appended in place): the
    // session's staged object, committed where it lies.
    const inOnePart = state.parts.length === 1;
    const firstKey = uploadPartKey(session.id, 0);
    if (inOnePart && this.storage.appendable && (await this.storage.stat(firstKey)).size > size)
      // cut off what a chunk that died mid-write (process killed) left past the session's end
      await this.storage.append(firstKey, size, Readable.from([]));
    const known =
      (state.first?.size === size ? state.first.sha256 : undefined) ??
      this.running.digestAt(session.id, size);
    const existing = await this.query.findBlobBySha256(sha256Of(digest));
    if (inOnePart || existing) {
      const actual = known ?? (await this.sha256OfParts(session.id, state.parts));
      if (actual !== sha256Of(digest)) throw await wrongDigest(actual);
      if (existing) {
        await this.link(owner, creatorId, name, digest, { blobId: existing.id });
        await this.removeSession(session.id, state);
      } else {
        // The row's id is the staged blob's storage id: committing it deletes the row.
        await this.link(owner, creatorId, name, digest, {
          storageId: session.id,
          size,
          sha256: actual,
        });
      }
      this.running.forget(session.id);
      return;
    }
    if (known !== undefined && known !== sha256Of(digest)) throw await wrongDigest(known);
    // Digest known (this process took every chunk): the storage server joins the parts
    // into the first one's key, and nothing is read or written through here.
    if (known !== undefined && (await this.joinOnServer(session.id, state.parts, size))) {
      // From here the session is one part: record it (a retried close then commits it
      // where it lies) before the other parts go, then commit.
      await this.sessions.compareAndSet(claimed, {
        bytesReceived: size,
        state: JSON.stringify({ parts: [0], claim: readState(claimed).claim }),
      });
      await this.storage.deleteMany(state.parts.slice(1).map((o) => uploadPartKey(session.id, o)));
      await this.link(owner, creatorId, name, digest, {
        storageId: session.id,
        size,
        sha256: known,
      });
      this.running.forget(session.id);
      return;
    }
    const joined = await this.ingest.ingestContent(
      Readable.from(this.readParts(session.id, state.parts)),
    );
    if (joined.sha256 !== sha256Of(digest)) {
      await this.ingest.discard(joined);
      throw await wrongDigest(joined.sha256);
    }
    await this.link(owner, creatorId, name, digest, joined);
    await this.removeSession(session.id, state);
    this.running.forget(session.id);
  }

  /** DELETE of a session: its parts and its row. */
  async cancel(session: UploadSession): Promise<void> {
    this.running.forget(session.id);
    await this.removeSession(session.id, readState(session));
  }

  private async link(
    owner: UserEntity,
    creatorId: number,
    name: ImageName,
    digest: string,
    blob: StagedContent | { blobId: number },
  ): Promise<void> {
    await this.packages.createOrAddFile(
      { ownerId: owner.id, type: PackageType.Container, name: name.image },
      { version: BLOBS_VERSION, creatorId, isInternal: true },
      { name: digest, blob, overwrite: true },
    );
  }

  private async claim(session: UploadSession, state: SessionState): Promise<UploadSession> {
    if (state.claim)
      throw new OciError(
        OciErrorCode.BlobUploadInvalid,
        'another request is writing to this upload session',
        { status: 416 },
      );
    const claimedState = JSON.stringify({
      ...state,
      claim: `${Date.now()}-${Math.random().toString(36).slice(2)}`,
    });
    if (
      !(await this.sessions.compareAndSet(session, {
        bytesReceived: session.bytesReceived,
        state: claimedState,
      }))
    ) {
      throw new OciError(
        OciErrorCode.BlobUploadInvalid,
        'the upload session changed meanwhile; ask for its status and resume',
        { status: 416 },
      );
    }
    return { ...session, state: claimedState };
  }

  /** S3's server-side join of a session's parts into its first part's key; false when it cannot. */
  private async joinOnServer(id: string, parts: number[], size: number): Promise<boolean> {
    const sources = parts.map((offset, i) => ({
      key: uploadPartKey(id, offset),
      size: (parts[i + 1] ?? size) - offset,
    }));
    try {
      return await this.storage.join(uploadPartKey(id, 0), sources);
    } catch (err) {
      // the join left the parts as they were: join them here instead
      this.log.warn(`server-side join of upload ${id} failed: ${(err as Error).message}`);
      return false;
    }
  }

  private async *readParts(id: string, parts: number[]): AsyncGenerator<Buffer> {
    for (const offset of parts) {
      for await (const chunk of await this.storage.get(uploadPartKey(id, offset)))
        yield chunk as Buffer;
    }
  }

  private async sha256OfParts(id: string, parts: number[]): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of this.readParts(id, parts)) hash.update(chunk);
    return hash.digest('hex');
  }

  private async removeSession(id: string, state: SessionState): Promise<void> {
    for (const offset of state.parts) await this.storage.delete(uploadPartKey(id, offset));
    await this.sessions.delete(id);
  }

  private limit(): number | undefined {
    return this.config.sizeLimit(PackageType.Container);
  }
}

/** Which image a session belongs to (a hash keeps long names inside the column). */
function purposeOf(owner: UserEntity, name: ImageName): string {
  return `container:${owner.id}:${createHash('sha256').update(name.image).digest('hex')}`;
}

/** The result of `parse`, or undefined when it throws (a mount parameter that is not valid is ignored). */
function attempt<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

function readState(session: UploadSession): SessionState {
  return session.state ? (JSON.parse(session.state) as SessionState) : { parts: [] };
}

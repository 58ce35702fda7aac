import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client, ClientOptions, IamAwsProvider } from 'minio';
import {
  BlobListEntry,
  BlobNotFoundError,
  BlobStat,
  BlobStorage,
  ByteRange,
  JoinSource,
  PresignOptions,
  RangeNotSatisfiableError,
  StorageFullError,
  StorageUnavailableError,
} from './blob-storage';

export interface S3StorageOptions {
  /** `http(s)://host:port`, no path */
  endpoint: string;
  bucket: string;
  /**
   * Static keys; both absent, minio's IamAwsProvider finds credentials in the environment
   * (web identity token of an IAM role for service accounts, the ECS/EKS credentials
   * endpoint, or the EC2 instance role) and renews them before they expire.
   */
  accessKey?: string;
  secretKey?: string;
  region: string;
  /** bytes per multipart part (and the most a put holds in memory); default 16 MiB, at least 5 MiB */
  partSize?: number;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`; default true */
  pathStyle?: boolean;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 16 * MiB;
/** S3's limits: every part but the last at least 5 MiB, at most 5 GiB, 10000 parts. */
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_PARTS = 10000;
/** `end` of an open range: a server clamps an end past the object to its last byte. */
const OPEN_END = Number.MAX_SAFE_INTEGER - 1;

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);
// MinIO's answer when its drives are full (HTTP 507); Ceph RGW and Swift answer 507 as `InsufficientStorage`.
const FULL_CODES = new Set(['XMinioStorageFull', 'InsufficientStorage']);
/** Answers meaning "these credentials / this bucket do not work", not "no such object". */
const REFUSED_CODES = new Set([
  'AccessDenied',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'InvalidToken',
  'NoSuchBucket',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * {@link BlobStorage} on any S3 API (AWS, MinIO, Ceph, Swift's s3api) through the
 * `minio` client. Keys reach it already validated (see {@link ValidatedBlobStorage}).
 *
 * Uploads drive the multipart API directly instead of minio's `putObject(stream)`: in
 * minio 8.0.7 that call never settles when the body stream errors (it pipes the body
 * into its chunker but listens for errors on the chunker only), leaving an initiated
 * upload behind, and it silently resumes any earlier unfinished upload of the same key.
 */
export class S3BlobStorage implements BlobStorage {
  readonly kind = 's3';
  /** An S3 object cannot grow: upload sessions keep each chunk as its own object. */
  readonly appendable = false;
  private readonly client: Client;
  private readonly bucket: string;
  private readonly partSize: number;
  /** names the backend in error messages */
  private readonly where: string;

  constructor(private readonly options: S3StorageOptions) {
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (
      !Number.isSafeInteger(this.partSize) ||
      this.partSize < MIN_PART_SIZE ||
      this.partSize > MAX_PART_SIZE
    ) {
      throw new Error(
        `S3 partSize must be an integer from 5 MiB to 5 GiB, got ${options.partSize}`,
      );
    }
    this.bucket = options.bucket;
    this.where = `S3 bucket ${options.bucket} at ${options.endpoint}`;
    this.client = new Client(clientOptions(options));
  }

  async append(key: string, _offset: number, body: Readable): Promise<number> {
    body.resume();
    throw new Error(`S3 objects cannot be appended to (${key}); check \`appendable\` first`);
  }

  /**
   * A multipart upload whose parts are server-side copies of the sources (UploadPartCopy),
   * completed at `target`, which may be the first source's own key: the copies are taken
   * before the completion replaces it. On a failed request the upload is aborted and
   * `target` is as it was. S3's part rules decide whether it can: every source but the
   * last at least 5 MiB, none over 5 GiB.
   */
  async join(target: string, sources: readonly JoinSource[]): Promise<boolean> {
    const fits = sources.every(
      (src, i) =>
        src.size <= MAX_PART_SIZE && (i === sources.length - 1 || src.size >= MIN_PART_SIZE),
    );
    if (!sources.length || sources.length > MAX_PARTS || !fits) return false;
    const uploadId = await this.call(() =>
      this.client.initiateNewMultipartUpload(this.bucket, target, {}),
    );
    try {
      const etags: { part: number; etag: string }[] = [];
      for (const [i, src] of sources.entries()) {
        const headers = { 'x-amz-copy-source': encodeURI(`/${this.bucket}/${src.key}`) };
        const { etag } = await this.call(
          () =>
            this.client.uploadPart(
              {
                bucketName: this.bucket,
                objectName: target,
                uploadID: uploadId,
                partNumber: i + 1,
                headers,
              },
              Buffer.alloc(0),
            ),
          src.key,
        );
        etags.push({ part: i + 1, etag });
      }
      await this.call(() =>
        this.client.completeMultipartUpload(this.bucket, target, uploadId, etags),
      );
      return true;
    } catch (err) {
      await this.abortUpload(target, uploadId);
      throw err;
    }
  }

  /**
   * A body shorter than one part is sent as one PUT. A longer one becomes a multipart
   * upload of `partSize` parts, read and sent one at a time (memory stays at one part);
   * if the body or a request fails the upload is aborted, so no parts remain. `size`,
   * when known, only raises the part size for objects beyond 10000 parts.
   */
  async put(key: string, body: Readable, size?: number): Promise<number> {
    const partSize = this.partSizeFor(size);
    const parts = readParts(body, partSize);
    try {
      const first = await parts.next();
      const firstPart = first.done ? Buffer.alloc(0) : first.value;
      if (firstPart.length < partSize) return await this.putSingle(key, firstPart);
      return await this.putMultipart(key, firstPart, parts);
    } finally {
      // after a failed request, stop reading the body (this destroys it); a no-op when done
      await parts.return(undefined);
    }
  }

  /**
   * GET, or a ranged GET whose `end` defaults to past the end: the server clamps it, and
   * answers 416 when `start` ≥ size — also for an empty object, where a plain GET would
   * succeed. Only then is the object stat'ed, for the error's size.
   */
  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      if (!range) return await this.client.getObject(this.bucket, key);
      const end = range.end ?? OPEN_END;
      return await this.client.getPartialObject(
        this.bucket,
        key,
        range.start,
        end - range.start + 1,
      );
    } catch (err) {
      if (s3Code(err) === 'InvalidRange') {
        throw new RangeNotSatisfiableError(key, (await this.stat(key)).size);
      }
      throw this.translate(err, key);
    }
  }

  /** HEAD of the object. */
  async stat(key: string): Promise<BlobStat> {
    const s = await this.call(() => this.client.statObject(this.bucket, key), key);
    return { size: s.size, modified: s.lastModified };
  }

  /** S3's DELETE already succeeds for a missing key; a server that says NoSuchKey is treated alike. */
  async delete(key: string): Promise<void> {
    try {
      await this.call(() => this.client.removeObject(this.bucket, key), key);
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err;
    }
  }

  /** S3's multi-object DELETE, 1000 keys a request (the API's maximum). */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const results = await this.call(() => this.client.removeObjects(this.bucket, [...batch]));
      const failed = results.filter((r) => r?.Error?.Code && !NOT_FOUND_CODES.has(r.Error.Code));
      if (failed.length)
        throw this.translate(
          Object.assign(
            new Error(
              `${failed.length} of ${batch.length} deletes failed: ${failed[0]!.Error!.Message}`,
            ),
            {
              code: failed[0]!.Error!.Code,
            },
          ),
        );
    }
  }

  /**
   * ListMultipartUploads over the bucket (one page of up to 1000 at a time, without the
   * per-upload part listing minio's listIncompleteUploads adds), aborting each upload
   * initiated before the cut-off. Keys are generated ids, so no upload is in use by a
   * live request once it is older than the upload-session TTL.
   */
  async abortIncompleteUploads(initiatedBefore: Date): Promise<number> {
    let aborted = 0;
    let keyMarker = '';
    let uploadIdMarker = '';
    for (;;) {
      const page = await this.call(() =>
        this.client.listIncompleteUploadsQuery(this.bucket, '', keyMarker, uploadIdMarker, ''),
      );
      for (const upload of page.uploads) {
        if (!(upload.initiated instanceof Date) || isNaN(upload.initiated.getTime())) continue;
        if (upload.initiated >= initiatedBefore) continue;
        try {
          await this.call(
            () => this.client.abortMultipartUpload(this.bucket, upload.key, upload.uploadId),
            upload.key,
          );
          aborted++;
        } catch (err) {
          if (!(err instanceof BlobNotFoundError)) throw err; // finished or aborted meanwhile
        }
      }
      if (!page.isTruncated) return aborted;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
  }

  /** ListObjectsV2 without delimiter, paged by minio; S3 lists keys in byte order. */
  async *list(prefix: string): AsyncIterable<BlobListEntry> {
    const items = this.client.listObjectsV2(this.bucket, prefix, true);
    try {
      for await (const item of items) {
        if (item.name !== undefined) yield { key: item.name, size: item.size };
      }
    } catch (err) {
      throw this.translate(err);
    }
  }

  /**
   * A presigned GET; the response headers are part of the signature, so the client
   * cannot change them. Signing is local (no request) since the region is configured.
   */
  async presignedGetUrl(key: string, options: PresignOptions): Promise<string | undefined> {
    const headers: Record<string, string> = {};
    if (options.filename !== undefined) {
      headers['response-content-disposition'] = attachmentDisposition(options.filename);
    }
    if (options.contentType !== undefined) headers['response-content-type'] = options.contentType;
    return this.call(() =>
      this.client.presignedGetObject(this.bucket, key, options.expiresSeconds, headers),
    );
  }

  /**
   * HEAD of the bucket: proves the endpoint answers, the signature is accepted and the
   * bucket exists. Any failure is a {@link StorageUnavailableError} naming endpoint and bucket.
   */
  async ping(): Promise<void> {
    let exists: boolean;
    try {
      exists = await this.client.bucketExists(this.bucket);
    } catch (err) {
      throw this.unavailable(err);
    }
    if (!exists) throw new StorageUnavailableError(`${this.where}: the bucket does not exist`);
  }

  /** Creates the bucket unless it exists (start-up with auto-create, and tests). */
  async ensureBucket(): Promise<void> {
    if (await this.call(() => this.client.bucketExists(this.bucket))) return;
    try {
      await this.client.makeBucket(this.bucket, this.options.region);
    } catch (err) {
      // another instance created it between the check and here
      if (s3Code(err) !== 'BucketAlreadyOwnedByYou') throw this.translate(err);
    }
  }

  private partSizeFor(size: number | undefined): number {
    if (size === undefined) return this.partSize;
    return Math.max(this.partSize, Math.ceil(size / MAX_PARTS));
  }

  private async putSingle(key: string, data: Buffer): Promise<number> {
    await this.call(() => this.client.putObject(this.bucket, key, data, data.length));
    return data.length;
  }

  private async putMultipart(
    key: string,
    first: Buffer,
    rest: AsyncIterator<Buffer>,
  ): Promise<number> {
    const uploadId = await this.call(() =>
      this.client.initiateNewMultipartUpload(this.bucket, key, {}),
    );
    try {
      const etags: { part: number; etag: string }[] = [];
      let size = 0;
      // the body's own error surfaces from rest.next(), untranslated
      for (let part: Buffer | undefined = first; part; part = await nextValue(rest)) {
        etags.push(await this.uploadPart(key, uploadId, etags.length + 1, part));
        size += part.length;
      }
      await this.call(() => this.client.completeMultipartUpload(this.bucket, key, uploadId, etags));
      return size;
    } catch (err) {
      await this.abortUpload(key, uploadId);
      throw err;
    }
  }

  private async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    data: Buffer,
  ): Promise<{ part: number; etag: string }> {
    // Content-MD5: over https minio signs UNSIGNED-PAYLOAD, so this is the integrity check
    const headers = { 'Content-MD5': createHash('md5').update(data).digest('base64') };
    const { etag } = await this.call(() =>
      this.client.uploadPart(
        { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber, headers },
        data,
      ),
    );
    return { part: partNumber, etag };
  }

  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.abortMultipartUpload(this.bucket, key, uploadId);
    } catch {
      // The caller must see the error that failed the put, not this one. An upload that
      // cannot be aborted (backend gone) is what an AbortIncompleteMultipartUpload
      // lifecycle rule on a production bucket exists for.
    }
  }

  private async call<T>(request: () => Promise<T>, key?: string): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw this.translate(err, key);
    }
  }

  /** minio's errors → the interface's typed errors; anything else passes unchanged. */
  private translate(err: unknown, key?: string): unknown {
    const code = s3Code(err);
    if (key !== undefined && code !== undefined && NOT_FOUND_CODES.has(code))
      return new BlobNotFoundError(key);
    if (code !== undefined && (REFUSED_CODES.has(code) || NETWORK_CODES.has(code)))
      return this.unavailable(err);
    if (code !== undefined && FULL_CODES.has(code))
      return new StorageFullError(`${this.where}: no space left (${code})`, { cause: err });
    return err;
  }

  private unavailable(err: unknown): StorageUnavailableError {
    const code = s3Code(err);
    let reason = `${code ?? 'error'}: ${(err as Error)?.message ?? String(err)}`;
    if (code !== undefined && NETWORK_CODES.has(code)) reason = `unreachable (${reason})`;
    // Swift's s3api answers an unknown key with SignatureDoesNotMatch; a HEAD has no
    // body, so a bad secret on bucketExists shows up as a bare AccessDenied.
    if (
      code === 'SignatureDoesNotMatch' ||
      code === 'InvalidAccessKeyId' ||
      code === 'AccessDenied'
    ) {
      reason = `credentials refused (${reason}); check the access key, secret key and region`;
    }
    return new StorageUnavailableError(`${this.where}: ${reason}`, { cause: err });
  }
}

function clientOptions(options: S3StorageOptions): ClientOptions {
  const url = new URL(options.endpoint);
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.pathname !== '/' ||
    url.search
  ) {
    throw new Error(`S3 endpoint must be http(s)://host[:port], got ${options.endpoint}`);
  }
  const useSSL = url.protocol === 'https:';
  return {
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    ...(options.accessKey && options.secretKey
      ? { accessKey: options.accessKey, secretKey: options.secretKey }
      : { credentialsProvider: new IamAwsProvider({}) }),
    // a set region also spares minio its GetBucketLocation round trip
    region: options.region,
    pathStyle: options.pathStyle ?? true,
    // Only putSingle's putObject(buffer) reads this: a buffer up to it goes as one PUT,
    // never through minio's own multipart path (see the class comment).
    partSize: MAX_PART_SIZE,
  };
}

/**
 * Cuts the body into `partSize` buffers (the last may be shorter; an empty body gives
 * one empty buffer). Reading pauses while a part is being sent: backpressure reaches
 * the client. Returning early destroys the body.
 */
async function* readParts(
  body: Readable,
  partSize: number,
): AsyncGenerator<Buffer, void, undefined> {
  let chunks: Buffer[] = [];
  let length = 0;
  let yielded = false;
  for await (const chunk of body) {
    let data: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    while (length + data.length >= partSize) {
      const take = partSize - length;
      chunks.push(data.subarray(0, take));
      yield Buffer.concat(chunks, partSize);
      yielded = true;
      chunks = [];
      length = 0;
      data = data.subarray(take);
    }
    if (data.length > 0) {
      chunks.push(data);
      length += data.length;
    }
  }
  if (length > 0 || !yielded) yield Buffer.concat(chunks, length);
}

async function nextValue(parts: AsyncIterator<Buffer>): Promise<Buffer | undefined> {
  const next = await parts.next();
  return next.done ? undefined : next.value;
}

/**
 * `attachment` with an ASCII `filename` for old clients and the exact name as RFC 8187
 * `filename*`, which current browsers and curl prefer.
 */
function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The S3 error code (`NoSuchKey`) or Node's network code (`ECONNREFUSED`). */
function s3Code(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

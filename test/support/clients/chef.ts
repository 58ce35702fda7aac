import { execFileSync } from 'node:child_process';
import { constants, createHash, KeyObject, privateEncrypt, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { gemTar } from './rubygems';

/**
 * What knife does against a Supermarket, done in the test (no Chef client installs here):
 * cookbooks packed the way `knife supermarket share` packs them (`tar -czf {name}.tgz
 * {name}` over a staging directory holding metadata.json), the multipart body its
 * CookbookSiteStreamingUploader posts, and request signatures made the way
 * mixlib-authentication's SignedHeaderAuth makes them (protocol versions 1.0–1.3).
 */

export interface CookbookSpec {
  name: string;
  version: string;
  description?: string;
  maintainer?: string;
  license?: string;
  sourceUrl?: string;
  dependencies?: Record<string, string>;
  /** More files of the cookbook, by path inside it. */
  files?: Record<string, string | Buffer>;
  /** Overrides of metadata.json (a hostile name, a missing version…). */
  metadata?: Record<string, unknown>;
}

/** The metadata.json `knife cookbook metadata` writes (the fields a Supermarket reads). */
export function metadataJson(spec: CookbookSpec): string {
  return JSON.stringify({
    name: spec.name,
    description: spec.description ?? `${spec.name} cookbook`,
    long_description: '',
    maintainer: spec.maintainer ?? 'Wharf Tests',
    maintainer_email: 'tests@example.com',
    license: spec.license ?? 'Apache-2.0',
    platforms: {},
    dependencies: spec.dependencies ?? {},
    providing: {},
    recipes: {},
    version: spec.version,
    source_url: spec.sourceUrl ?? '',
    issues_url: '',
    privacy: false,
    chef_versions: [],
    ohai_versions: [],
    gems: [],
    eager_load_libraries: true,
    ...spec.metadata,
  });
}

/** The cookbook tarball, made with the system tar exactly as knife runs it. */
export function knifeCookbook(spec: CookbookSpec): Buffer {
  const staging = mkdtempSync(path.join(os.tmpdir(), 'wharf-chef-'));
  try {
    const dir = path.join(staging, spec.name);
    const files: Record<string, string | Buffer> = {
      'metadata.json': metadataJson(spec),
      'metadata.rb': `name '${spec.name}'\nversion '${spec.version}'\n`,
      'recipes/default.rb': `log 'hello from ${spec.name}'\n`,
      'README.md': `# ${spec.name}\n`,
      ...spec.files,
    };
    for (const [name, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), body);
    }
    execFileSync('tar', ['-czf', `${spec.name}.tgz`, spec.name], { cwd: staging });
    return readFileSync(path.join(staging, `${spec.name}.tgz`));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A gzip'd tar of exactly these entries (names, links and all), for archives knife would never make. */
export async function craftedCookbook(entries: Parameters<typeof gemTar>[0]): Promise<Buffer> {
  return gzipSync(await gemTar(entries));
}

/**
 * The body CookbookSiteStreamingUploader posts: the `tarball` file part, then the
 * `cookbook` field with `{"category": …}`, under its `----RubyMultipartClient…ZZZZZ` boundary.
 */
export function shareBody(
  tarball: Buffer,
  filename: string,
  category = 'Other',
  field = 'tarball',
): { body: Buffer; contentType: string } {
  const boundary = `----RubyMultipartClient${Math.floor(Math.random() * 1_000_000)}ZZZZZ`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    tarball,
    Buffer.from(
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="cookbook"\r\n\r\n` +
        `${JSON.stringify({ category })}\r\n--${boundary}--\r\n`,
    ),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

export type SignVersion = '1.0' | '1.1' | '1.2' | '1.3';

export interface SigningRequest {
  method: string;
  /** The URL path, as `URI#path` gives it. */
  path: string;
  userId: string;
  key: KeyObject;
  version?: SignVersion;
  /** What is hashed into X-Ops-Content-Hash: the file for a share, the body otherwise ('' when none). */
  hashed?: Buffer | string;
  /** ISO 8601; now by default. */
  timestamp?: string;
  /** Chef::HTTP::Authenticator sends "2"; mixlib signs "0" when the header is absent. */
  serverApiVersion?: string;
}

const ALGORITHM: Record<SignVersion, 'sha1' | 'sha256'> = {
  '1.0': 'sha1',
  '1.1': 'sha1',
  '1.2': 'sha1',
  '1.3': 'sha256',
};

const digest64 = (algorithm: string, value: Buffer | string) =>
  createHash(algorithm).update(value).digest('base64');

/** mixlib's `Time#utc.iso8601`: seconds, `Z`. */
export function chefTimestamp(at = new Date()): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The X-Ops-* headers of a signed request, as SignedHeaderAuth#sign builds them: the
 * canonical string (hashed path and, for 1.1/1.2, hashed user id; 1.3 its own form),
 * "private-encrypted" for 1.0/1.1 and signed PKCS#1 v1.5 for 1.2 (SHA-1, Chef Server's
 * chef_authn) and 1.3 (SHA-256), base64 in lines of 60 characters.
 */
export function chefHeaders(req: SigningRequest): Record<string, string> {
  const version = req.version ?? '1.0';
  const algorithm = ALGORITHM[version];
  const timestamp = req.timestamp ?? chefTimestamp();
  const contentHash = digest64(algorithm, req.hashed ?? '');
  const p = req.path.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  const serverApi = req.serverApiVersion ?? '0';
  const canonical =
    version === '1.3'
      ? [
          `Method:${req.method.toUpperCase()}`,
          `Path:${p}`,
          `X-Ops-Content-Hash:${contentHash}`,
          `X-Ops-Sign:version=${version}`,
          `X-Ops-Timestamp:${timestamp}`,
          `X-Ops-UserId:${req.userId}`,
          `X-Ops-Server-API-Version:${serverApi}`,
        ].join('\n')
      : [
          `Method:${req.method.toUpperCase()}`,
          `Hashed Path:${digest64('sha1', p)}`,
          `X-Ops-Content-Hash:${contentHash}`,
          `X-Ops-Timestamp:${timestamp}`,
          `X-Ops-UserId:${version === '1.0' ? req.userId : digest64('sha1', req.userId)}`,
        ].join('\n');
  const signature =
    version === '1.0' || version === '1.1'
      ? privateEncrypt(
          { key: req.key, padding: constants.RSA_PKCS1_PADDING },
          Buffer.from(canonical),
        )
      : sign(algorithm, Buffer.from(canonical), req.key);
  const headers: Record<string, string> = {
    'X-Ops-Sign': `algorithm=${algorithm};version=${version};`,
    'X-Ops-Userid': req.userId,
    'X-Ops-Timestamp': timestamp,
    'X-Ops-Content-Hash': contentHash,
  };
  if (req.serverApiVersion !== undefined) headers['X-Ops-Server-API-Version'] = serverApi;
  (signature.toString('base64').match(/.{1,60}/g) ?? []).forEach((line, i) => {
    headers[`X-Ops-Authorization-${i + 1}`] = line;
  });
  return headers;
}

/**
 * `knife supermarket share`: the multipart body and its headers, signed with protocol
 * 1.0 over the SHA-1 of the tarball file (not of the body), Accept and X-Chef-Version set.
 */
export function knifeShare(
  path: string,
  userId: string,
  key: KeyObject,
  tarball: Buffer,
  filename = 'cookbook.tgz',
): { headers: Record<string, string>; body: Buffer } {
  const { body, contentType } = shareBody(tarball, filename);
  return {
    body,
    headers: {
      ...chefHeaders({ method: 'POST', path, userId, key, hashed: tarball }),
      Accept: 'application/json',
      'X-Chef-Version': '18.5.0',
      'Content-Type': contentType,
    },
  };
}

/**
 * A decompression bomb: a valid cookbook whose second entry is `unpacked` bytes of zeros,
 * gzip'd at level 9 (about 1/1000 of that), built as a stream so the test holds only the
 * compressed bytes.
 */
export async function bombCookbook(unpacked: number): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'bomb/metadata.json' }, metadataJson({ name: 'bomb', version: '1.0.0' }));
  const entry = pack.entry({ name: 'bomb/zeros', size: unpacked });
  const gz = pack.pipe(createGzip({ level: 9 }));
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve, reject) => gz.on('end', resolve).on('error', reject));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = unpacked; left > 0; left -= zeros.length) {
    const chunk = left >= zeros.length ? zeros : zeros.subarray(0, left);
    if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()));
  }
  await new Promise<void>((r) => entry.end(() => r()));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

import {
  constants,
  createHash,
  KeyObject,
  publicDecrypt,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { RegistryError, RegistryErrorCode } from '@wharf/packages-core';

/*
 * Chef's signed requests (docs/protocols/chef.md §5), verified as the Chef Infra Server
 * does: knife signs a canonical string of the method, path, body hash, timestamp and user
 * with the user's RSA private key (mixlib-authentication's SignedHeaderAuth). Pure: the
 * caller finds the user's public key and the clock.
 *
 * Versions: 1.0 and 1.1 "encrypt" the string itself with the private key (PKCS#1 type-1
 * padding, no digest); 1.2 is an RSA PKCS#1 v1.5 signature over SHA-1 (Chef Server's
 * chef_authn; mixlib never sends it); 1.3 one over SHA-256 with another canonical string.
 * 1.1 and 1.2 hash the user id in the string, 1.0 and 1.3 do not.
 */

export type SignVersion = '1.0' | '1.1' | '1.2' | '1.3';

/** What a signed request carries, read from its X-Ops-* headers. */
export interface ChefSignature {
  userId: string;
  version: SignVersion;
  /** X-Ops-Timestamp as sent: it is part of the signed string. */
  timestamp: string;
  /**
   * X-Ops-Content-Hash as sent, taken as signed and never compared with the body:
   * `knife supermarket share` hashes the cookbook file, not the multipart body it posts.
   */
  contentHash: string;
  /** X-Ops-Server-API-Version (1.3 signs it); mixlib's default "0" when absent. */
  serverApiVersion: string;
  signature: Buffer;
}

/** Chef Infra Server's default allowed clock skew (`auth_skew`, 900 s). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
// A 16384-bit signature is 2731 base64 characters: 46 headers of 60.
const MAX_AUTHORIZATION_HEADERS = 64;
const ALGORITHM: Record<SignVersion, 'sha1' | 'sha256'> = {
  '1.0': 'sha1',
  '1.1': 'sha1',
  '1.2': 'sha1',
  '1.3': 'sha256',
};

const refuse = (message: string) =>
  new RegistryError(RegistryErrorCode.Unauthorized, `invalid Chef signature: ${message}`);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The request's signature headers; undefined when it carries no `X-Ops-Userid` (not a
 * signed request), a 401 when it does and any other part is missing or malformed.
 */
export function readChefSignature(headers: IncomingHttpHeaders): ChefSignature | undefined {
  const userId = header(headers, 'x-ops-userid');
  if (userId === undefined) return undefined;
  if (!userId) throw refuse('X-Ops-Userid is empty');
  const timestamp = header(headers, 'x-ops-timestamp');
  if (!timestamp) throw refuse('the X-Ops-Timestamp header is missing');
  const version = signVersion(header(headers, 'x-ops-sign'));
  const contentHash = header(headers, 'x-ops-content-hash');
  if (contentHash === undefined) throw refuse('the X-Ops-Content-Hash header is missing');
  return {
    userId,
    version,
    timestamp,
    contentHash,
    serverApiVersion: header(headers, 'x-ops-server-api-version') ?? '0',
    signature: authorization(headers),
  };
}

/** `algorithm=sha1;version=1.0;` (mixlib writes a trailing `;`): the version, with the algorithm it requires. */
function signVersion(sign: string | undefined): SignVersion {
  if (!sign) throw refuse('the X-Ops-Sign header is missing');
  const fields = new Map<string, string>();
  for (const part of sign.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const version = fields.get('version');
  if (version !== '1.0' && version !== '1.1' && version !== '1.2' && version !== '1.3')
    throw refuse(`unsupported signing version ${JSON.stringify(version ?? '')} (1.0 to 1.3)`);
  const algorithm = fields.get('algorithm');
  if (algorithm !== undefined && algorithm.toLowerCase() !== ALGORITHM[version])
    throw refuse(`version ${version} signs with ${ALGORITHM[version]}, not ${algorithm}`);
  return version;
}

/** X-Ops-Authorization-1…N, joined in order: base64 cut in lines of 60. */
function authorization(headers: IncomingHttpHeaders): Buffer {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const match = /^x-ops-authorization-(\d{1,3})$/.exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    if (index < 1 || index > MAX_AUTHORIZATION_HEADERS)
      throw refuse(`X-Ops-Authorization-${match[1]} is out of range`);
    parts[index - 1] = (Array.isArray(value) ? value[0] : value) ?? '';
  }
  if (!parts.length) throw refuse('the X-Ops-Authorization-N headers are missing');
  for (let i = 0; i < parts.length; i++)
    if (parts[i] === undefined) throw refuse(`X-Ops-Authorization-${i + 1} is missing`);
  const joined = parts.join('');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(joined))
    throw refuse('the X-Ops-Authorization-N headers are not base64');
  return Buffer.from(joined, 'base64');
}

/** 401 unless the timestamp (ISO 8601, as mixlib writes it) is within the allowed skew of `nowMs`. */
export function checkTimestamp(
  timestamp: string,
  nowMs: number,
  maxSkewMs = MAX_CLOCK_SKEW_MS,
): void {
  // RFC 3339 date-time: mixlib's `Time#iso8601` (`2024-05-01T12:00:00Z`) and offsets.
  const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;
  const at = rfc3339.test(timestamp) ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(at)) throw refuse('X-Ops-Timestamp is not an ISO 8601 time');
  if (Math.abs(nowMs - at) > maxSkewMs)
    throw refuse(
      `X-Ops-Timestamp is more than ${maxSkewMs / 60000} minutes from the server's clock`,
    );
}

/** mixlib's canonical path: repeated slashes collapsed, no trailing slash (but `/`). */
export function canonicalPath(path: string): string {
  const collapsed = path.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

const base64Digest = (algorithm: string, value: string) =>
  createHash(algorithm).update(value).digest('base64');

/** The string the client signed (mixlib's canonicalize_request). `path` is the URL path, without the query. */
export function canonicalRequest(sig: ChefSignature, method: string, path: string): string {
  const p = canonicalPath(path);
  if (sig.version === '1.3')
    return [
      `Method:${method.toUpperCase()}`,
      `Path:${p}`,
      `X-Ops-Content-Hash:${sig.contentHash}`,
      `X-Ops-Sign:version=${sig.version}`,
      `X-Ops-Timestamp:${sig.timestamp}`,
      `X-Ops-UserId:${sig.userId}`,
      `X-Ops-Server-API-Version:${sig.serverApiVersion}`,
    ].join('\n');
  const userId = sig.version === '1.0' ? sig.userId : base64Digest('sha1', sig.userId);
  return [
    `Method:${method.toUpperCase()}`,
    `Hashed Path:${base64Digest('sha1', p)}`,
    `X-Ops-Content-Hash:${sig.contentHash}`,
    `X-Ops-Timestamp:${sig.timestamp}`,
    `X-Ops-UserId:${userId}`,
  ].join('\n');
}

/** True when `sig` is the user's signature of this request. */
export function verifyChefSignature(
  sig: ChefSignature,
  method: string,
  path: string,
  key: KeyObject,
): boolean {
  const canonical = Buffer.from(canonicalRequest(sig, method, path), 'utf8');
  if (sig.version === '1.2' || sig.version === '1.3') {
    try {
      return verify(ALGORITHM[sig.version], canonical, key, sig.signature);
    } catch {
      return false;
    }
  }
  // 1.0/1.1: OpenSSL's private_encrypt; the public key recovers the string itself.
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig.signature);
  } catch {
    return false;
  }
  return recovered.length === canonical.length && timingSafeEqual(recovered, canonical);
}

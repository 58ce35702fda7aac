import { createHash } from 'node:crypto';
import { KIT_OWNERS, KitCaller } from './access-model';
import type { KitContext } from './describe-format-kit';
import type { FormatProfile, HeaderCheck } from './format-profile';
import { KitResponse, send } from './http';

const hex = (algo: string, bytes: Buffer) => createHash(algo).update(bytes).digest('hex');

/** Core's checksum headers (send-blob's `setBlobHeaders`). */
export const coreChecksums = (bytes: Buffer): Record<string, string> => ({
  'x-checksum-md5': hex('md5', bytes),
  'x-checksum-sha1': hex('sha1', bytes),
  'x-checksum-sha256': hex('sha256', bytes),
});

/** Core's ETag of a served file: the quoted sha256 of its bytes. */
export const coreEtag = (bytes: Buffer) => `"${hex('sha256', bytes)}"`;

/** Core's `Content-Disposition` (send-blob's `contentDisposition`), for an ASCII name. */
const attachment = (filename: string) =>
  `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

const pick = (res: KitResponse, names: string[]) =>
  Object.fromEntries(names.map((n) => [n, res.header(n)]));

/**
 * The headers of a download, on the artifact the site admin published into the public
 * user owner, fetched by that owner. Each check is one test; a check the profile lists
 * as a known issue runs in a `known issue: …` block of its own, still enabled.
 */
export function describeDownloadChecks(profile: FormatProfile, ctx: KitContext): void {
  const owner = KIT_OWNERS[0];
  const self: KitCaller = { name: 'owner itself', self: true };
  const seed = () => ctx.seeds.get(owner.name)!;
  const get = (method: string, headers: Record<string, string> = {}) =>
    send(ctx.t.url, {
      method,
      path: seed().download,
      headers: { ...ctx.accounts.headers(self, owner), ...headers },
    });

  const checks: Record<HeaderCheck, [string, () => Promise<void>]> = {
    nosniff: [
      'a download carries X-Content-Type-Options: nosniff',
      async () => {
        const res = await get('GET');
        expect({ status: res.status, ...pick(res, ['x-content-type-options']) }).toEqual({
          status: 200,
          'x-content-type-options': 'nosniff',
        });
      },
    ],
    disposition: [
      'a download carries the Content-Disposition of its file name, if the format sends one',
      async () => {
        const res = await get('GET');
        const filename = seed().filename;
        expect(res.header('content-disposition')).toBe(
          filename === undefined ? undefined : attachment(filename),
        );
      },
    ],
    checksums: [
      'a download carries the checksums of its bytes',
      async () => {
        const res = await get('GET');
        const expected = (profile.checksumHeaders ?? coreChecksums)(seed().bytes);
        expect(pick(res, Object.keys(expected))).toEqual(expected);
      },
    ],
    etag: [
      'a download carries the ETag of its bytes',
      async () => {
        const res = await get('GET');
        expect(res.header('etag')).toBe(profile.etag(seed().bytes));
      },
    ],
    range: [
      'Range: bytes=1-4 answers 206 with those bytes and their Content-Range',
      async () => {
        const res = await get('GET', { Range: 'bytes=1-4' });
        const bytes = seed().bytes;
        expect({
          status: res.status,
          body: res.body.toString('hex'),
          ...pick(res, ['content-range', 'content-length']),
        }).toEqual({
          status: 206,
          body: bytes.subarray(1, 5).toString('hex'),
          'content-range': `bytes 1-4/${bytes.length}`,
          'content-length': '4',
        });
      },
    ],
    head: [
      'HEAD answers 200 with the length and ETag of a GET, and no body',
      async () => {
        const res = await get('HEAD');
        expect({
          status: res.status,
          body: res.body.length,
          ...pick(res, ['content-length', 'etag']),
        }).toEqual({
          status: 200,
          body: 0,
          'content-length': String(seed().bytes.length),
          etag: profile.etag(seed().bytes),
        });
      },
    ],
  };

  describe('download headers', () => {
    for (const [check, [title, run]] of Object.entries(checks) as [
      HeaderCheck,
      [string, () => Promise<void>],
    ][]) {
      const issue = profile.knownIssues?.[check];
      if (issue) describe(`known issue: ${issue}`, () => it(title, run));
      else it(title, run);
    }
  });
}

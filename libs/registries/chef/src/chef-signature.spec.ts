import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { chefHeaders, chefTimestamp, SignVersion } from '../../../../test/support/clients/chef';
import {
  canonicalPath,
  canonicalRequest,
  checkTimestamp,
  MAX_CLOCK_SKEW_MS,
  readChefSignature,
  verifyChefSignature,
} from './chef-signature';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PATH = '/api/packages/alice/chef/api/v1/cookbooks';
const lower = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

function verifies(headers: Record<string, string>, method = 'POST', path = PATH, key = publicKey) {
  const sig = readChefSignature(lower(headers));
  if (!sig) throw new Error('not a signed request');
  return verifyChefSignature(sig, method, path, key);
}

const sign = (version: SignVersion, extra: Partial<Parameters<typeof chefHeaders>[0]> = {}) =>
  chefHeaders({ method: 'POST', path: PATH, userId: 'alice', key: privateKey, version, ...extra });

describe('Chef signed requests, signed as mixlib-authentication signs them', () => {
  it.each(['1.0', '1.1', '1.2', '1.3'] as const)('verifies version %s', (version) => {
    expect(verifies(sign(version, { hashed: Buffer.from('the cookbook file') }))).toBe(true);
    expect(verifies(sign(version, { serverApiVersion: '2' }))).toBe(true);
  });

  it.each(['1.0', '1.1', '1.2', '1.3'] as const)(
    'refuses version %s for another path, method, user or key',
    (version) => {
      const headers = sign(version);
      expect(verifies(headers, 'POST', `${PATH}/x`)).toBe(false);
      expect(verifies(headers, 'DELETE')).toBe(false);
      expect(verifies(headers, 'POST', PATH, other.publicKey)).toBe(false);
      expect(verifies({ ...headers, 'X-Ops-Userid': 'bob' })).toBe(false);
      expect(verifies({ ...headers, 'X-Ops-Content-Hash': 'tampered' })).toBe(false);
      expect(verifies({ ...headers, 'X-Ops-Timestamp': '2020-01-01T00:00:00Z' })).toBe(false);
    },
  );

  it('signs the path as mixlib canonicalises it', () => {
    expect(canonicalPath('//api//x/')).toBe('/api/x');
    expect(canonicalPath('/')).toBe('/');
    expect(verifies(sign('1.3'), 'POST', `${PATH}/`)).toBe(true);
  });

  it('is no signed request without X-Ops-Userid', () => {
    expect(readChefSignature({})).toBeUndefined();
  });

  it.each([
    ['no timestamp', { 'X-Ops-Timestamp': undefined }, /X-Ops-Timestamp/],
    ['no X-Ops-Sign', { 'X-Ops-Sign': undefined }, /X-Ops-Sign/],
    ['version=none', { 'X-Ops-Sign': 'version=none' }, /unsupported signing version/],
    ['version=1.4', { 'X-Ops-Sign': 'version=1.4' }, /unsupported signing version/],
    ['sha2', { 'X-Ops-Sign': 'version=1.0;algorithm=sha2' }, /signs with sha1/],
    ['sha256 on 1.0', { 'X-Ops-Sign': 'algorithm=sha256;version=1.0' }, /signs with sha1/],
    ['sha1 on 1.3', { 'X-Ops-Sign': 'algorithm=sha1;version=1.3' }, /signs with sha256/],
    ['no content hash', { 'X-Ops-Content-Hash': undefined }, /X-Ops-Content-Hash/],
    ['a gap in the lines', { 'X-Ops-Authorization-2': undefined }, /Authorization-2 is missing/],
    ['garbage line 4', { 'X-Ops-Authorization-4': 'dummy!' }, /not base64/],
    ['line 0', { 'X-Ops-Authorization-0': 'AAAA' }, /out of range/],
  ])('refuses a request with %s (401)', (_label, change, message) => {
    const headers: Record<string, string | undefined> = { ...sign('1.0'), ...change };
    const defined = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
    const read = () => readChefSignature(lower(defined as Record<string, string>));
    expect(read).toThrow(message);
    expect(read).toThrow(expect.objectContaining({ status: 401 }));
  });

  it('accepts timestamps within the skew and refuses stale or future ones', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(() => checkTimestamp('2025-06-01T12:14:00Z', now)).not.toThrow();
    expect(() => checkTimestamp('2025-06-01T11:46:00+00:00', now)).not.toThrow();
    expect(() =>
      checkTimestamp(chefTimestamp(new Date(now - MAX_CLOCK_SKEW_MS - 1000)), now),
    ).toThrow(/minutes from the server's clock/);
    expect(() => checkTimestamp('2025-06-01T12:16:00Z', now)).toThrow(/minutes/);
    expect(() => checkTimestamp('2023-01-01T00:00:00Z', now)).toThrow(/minutes/);
    expect(() => checkTimestamp('yesterday', now)).toThrow(/not an ISO 8601 time/);
    expect(() => checkTimestamp('1748779200', now)).toThrow(/not an ISO 8601 time/);
  });
});

// Ruby's OpenSSL bindings, called the way mixlib-authentication calls them
// (`private_encrypt`, `sign(digest, …)`, `Base64.encode64` lines): an independent signer.
const ruby = spawnSync('ruby', ['-ropenssl', '-rbase64', '-e', '1']).status === 0;
const describeRuby = ruby || process.env.CI === 'true' ? describe : describe.skip;

describeRuby('Chef signatures made by Ruby OpenSSL (ruby is in CI for RubyGems)', () => {
  function rubySign(key: KeyObject, version: SignVersion, canonical: string): string[] {
    const script = `
      key = OpenSSL::PKey::RSA.new(ENV['KEY'])
      data = $stdin.read
      sig = case ENV['V']
            when '1.3' then key.sign(OpenSSL::Digest::SHA256.new, data)
            when '1.2' then key.sign(OpenSSL::Digest::SHA1.new, data)
            else key.private_encrypt(data)
            end
      puts Base64.encode64(sig).chomp`;
    const out = spawnSync('ruby', ['-ropenssl', '-rbase64', '-e', script], {
      input: canonical,
      env: {
        PATH: process.env.PATH,
        KEY: key.export({ type: 'pkcs1', format: 'pem' }) as string,
        V: version,
      },
    });
    if (out.status !== 0) throw new Error(out.stderr.toString());
    return out.stdout.toString().trim().split('\n');
  }

  it.each(['1.0', '1.1', '1.2', '1.3'] as const)('verifies a Ruby-made %s signature', (version) => {
    const headers = sign(version);
    const sig = readChefSignature(lower(headers))!;
    const lines = rubySign(privateKey, version, canonicalRequest(sig, 'POST', PATH));
    expect(lines.every((l) => l.length <= 60)).toBe(true);
    const rubyHeaders = Object.fromEntries(
      Object.entries(headers).filter(([k]) => !k.startsWith('X-Ops-Authorization-')),
    );
    lines.forEach((l, i) => (rubyHeaders[`X-Ops-Authorization-${i + 1}`] = l));
    expect(verifies(rubyHeaders)).toBe(true);
  });
});

import { createHash } from 'node:crypto';
import { pageOf } from './container.documents';
import { OciError } from './container.errors';
import {
  MEDIA_TYPES,
  parseContentRange,
  parseImageName,
  parseManifest,
  parseReference,
} from './container.metadata';

const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as OciError).code;
  }
  return 'no error';
};

describe('container.metadata', () => {
  it('parses image names with nested segments and refuses others', () => {
    expect(parseImageName('Acme', 'team/app')).toEqual({
      owner: 'Acme',
      image: 'team/app',
      full: 'acme/team/app',
    });
    expect(code(() => parseImageName('acme', 'App'))).toBe('NAME_INVALID');
    expect(code(() => parseImageName('acme', 'a__b'))).toBe('NAME_INVALID');
    expect(code(() => parseImageName('acme', 'a//b'))).toBe('NAME_INVALID');
  });

  it('tells tags from digests', () => {
    expect(parseReference('v1.0_rc-1')).toEqual({ kind: 'tag', tag: 'v1.0_rc-1' });
    expect(parseReference(digest('x'))).toEqual({ kind: 'digest', digest: digest('x') });
    expect(code(() => parseReference('.bad'))).toBe('MANIFEST_INVALID');
    expect(code(() => parseReference('_blobs'))).toBe('MANIFEST_INVALID');
    expect(code(() => parseReference('sha512:abc'))).toBe('MANIFEST_UNKNOWN');
  });

  it('reads image manifests, indexes and artifacts', () => {
    const config = { mediaType: MEDIA_TYPES.ociEmpty, digest: digest('{}'), size: 2 };
    const layer = { mediaType: 'application/vnd.example', digest: digest('l'), size: 1 };
    const art = parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociManifest,
          artifactType: 'application/x',
          config,
          layers: [layer, layer],
          subject: layer,
        }),
      ),
      undefined,
    );
    expect(art).toMatchObject({ kind: 'image', artifactType: 'application/x', subject: layer });
    expect(art.blobs.map((b) => b.digest)).toEqual([config.digest, layer.digest]);
    const docker = parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          config: { ...config, mediaType: 'application/vnd.docker.container.image.v1+json' },
          layers: [],
        }),
      ),
      MEDIA_TYPES.dockerManifest,
    );
    expect(docker.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    const index = parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: digest('m'), size: 3 }],
        }),
      ),
      `${MEDIA_TYPES.ociIndex}; charset=utf-8`,
    );
    expect(index).toMatchObject({ kind: 'index', manifests: [{ digest: digest('m') }] });
    expect(
      code(() => parseManifest(Buffer.from('{"schemaVersion":1}'), MEDIA_TYPES.ociManifest)),
    ).toBe('MANIFEST_INVALID');
    expect(code(() => parseManifest(Buffer.from('{"schemaVersion":2}'), 'application/json'))).toBe(
      'MANIFEST_INVALID',
    );
    expect(
      code(() =>
        parseManifest(
          Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              manifests: [{ mediaType: 'text/plain', digest: digest('m'), size: 1 }],
            }),
          ),
          MEDIA_TYPES.ociIndex,
        ),
      ),
    ).toBe('MANIFEST_INVALID');
  });

  it('reads Content-Range in both spellings', () => {
    expect(parseContentRange('0-99')).toEqual({ start: 0, end: 99 });
    expect(parseContentRange('bytes=100-199')).toEqual({ start: 100, end: 199 });
    expect(parseContentRange(undefined)).toBeUndefined();
    expect(code(() => parseContentRange('9-1'))).toBe('BLOB_UPLOAD_INVALID');
  });

  it('pages sorted lists with a Link only while more exist', () => {
    expect(pageOf(['a', 'b', 'c'], '/p', 2, undefined)).toEqual({
      items: ['a', 'b'],
      link: '</p?last=b&n=2>; rel="next"',
    });
    expect(pageOf(['a', 'b', 'c'], '/p', 2, 'b')).toEqual({ items: ['c'], link: undefined });
    expect(pageOf(['a', 'b'], '/p', 0, undefined)).toEqual({ items: [], link: undefined });
  });
});

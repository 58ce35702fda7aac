import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import { OciError, OciErrorCode } from './container.errors';
import { parseImageName, parseReference } from './container.metadata';

/*
 * Issue 11: the grammars refuse attacks, not real images. The image names, tags and
 * digests Forgejo's container integration test pushes
 * (tests/integration/api_packages_container_test.go) must pass.
 */
const FORGEJO = {
  images: ['test', 'te/st', 'parallel'],
  tags: ['latest', 'main', 'multi'],
  digests: [
    'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4',
    'sha256:4f10484d1c1bb13e3956b4de1cd42db8e0f14a75be1617b60f2de3cd59c803c6',
    'sha256:bab112d6efb9e7f221995caaaa880352feb5bd8b1faf52fae8d12c113aa123ec',
  ],
};

describe("Forgejo's container fixtures", () => {
  it.each(FORGEJO.images)('accepts image %s', (image) => {
    expect(parseImageName('user2', image).full).toBe(`user2/${image}`);
  });

  it.each(FORGEJO.tags)('accepts tag %s', (tag) => {
    expect(parseReference(tag)).toEqual({ kind: 'tag', tag });
  });

  it.each(FORGEJO.digests)('accepts digest %s', (digest) => {
    expect(parseReference(digest)).toEqual({ kind: 'digest', digest });
  });
});

describe('container grammars against the hostile corpus', () => {
  const oci = (code: OciErrorCode, message: RegExp) =>
    expect.objectContaining({ code, message: expect.stringMatching(message) });

  it.each(HOSTILE_NAMES.filter((h) => !h.fileNameOnly).map((h) => [h.label, h.value]))(
    'refuses %s as an image name and as a reference',
    (_l, value) => {
      expect(() => parseImageName('user2', value)).toThrow(OciError);
      expect(() => parseImageName('user2', `app/${value}`)).toThrow(OciError);
      let refused: unknown;
      try {
        parseReference(value);
      } catch (err) {
        refused = err;
      }
      // A value with `:` is read as a digest (an unknown manifest), any other as a tag.
      expect(refused).toEqual(
        value.includes(':')
          ? oci(OciErrorCode.ManifestUnknown, /invalid or unsupported digest/)
          : oci(OciErrorCode.ManifestInvalid, /^invalid (tag|repository name)/),
      );
    },
  );

  it('names the rule in the refusal', () => {
    expect(() => parseImageName('user2', 'App')).toThrow(
      oci(OciErrorCode.NameInvalid, /^invalid repository name: it must consist of lower-case/),
    );
    expect(() => parseReference('-tag')).toThrow(
      oci(OciErrorCode.ManifestInvalid, /^invalid tag: it must consist of at most 128/),
    );
  });
});

import { readFileSync } from 'node:fs';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import path from 'node:path';
import { parseMavenPath, parsePom } from './maven.metadata';

describe('parseMavenPath', () => {
  it.each([
    [
      'com/gitea/test-project/1.0.1/com.gitea:test-project:1.0.1.jar',
      {
        kind: 'file',
        groupId: 'com.gitea',
        artifactId: 'test-project',
        version: '1.0.1',
        filename: 'com.gitea:test-project:1.0.1.jar',
      },
    ],
    [
      'com/gitea/test-project/1.0.1/a.jar.sha1',
      {
        kind: 'file',
        groupId: 'com.gitea',
        artifactId: 'test-project',
        version: '1.0.1',
        filename: 'a.jar',
        checksum: 'sha1',
      },
    ],
    [
      'com/gitea/test-project/1.0.1/a.jar.asc.sha512',
      {
        kind: 'file',
        groupId: 'com.gitea',
        artifactId: 'test-project',
        version: '1.0.1',
        filename: 'a.jar.asc',
        checksum: 'sha512',
      },
    ],
    [
      'com/gitea/test-project/maven-metadata.xml',
      { kind: 'artifact-metadata', groupId: 'com.gitea', artifactId: 'test-project' },
    ],
    [
      'com/gitea/test-project/maven-metadata.xml.md5',
      {
        kind: 'artifact-metadata',
        groupId: 'com.gitea',
        artifactId: 'test-project',
        checksum: 'md5',
      },
    ],
    [
      'com/gitea/tp/1.0-SNAPSHOT/maven-metadata.xml',
      {
        kind: 'file',
        groupId: 'com.gitea',
        artifactId: 'tp',
        version: '1.0-SNAPSHOT',
        filename: 'maven-metadata.xml',
      },
    ],
    [
      'com/gitea/tp/1.0-SNAPSHOT/maven-metadata.xml.sha256',
      {
        kind: 'file',
        groupId: 'com.gitea',
        artifactId: 'tp',
        version: '1.0-SNAPSHOT',
        filename: 'maven-metadata.xml',
        checksum: 'sha256',
      },
    ],
    [
      'Com/Acme/Lib/1.0/Lib-1.0.pom',
      {
        kind: 'file',
        groupId: 'Com.Acme',
        artifactId: 'Lib',
        version: '1.0',
        filename: 'Lib-1.0.pom',
      },
    ],
  ])('parses %s', (p, expected) => {
    expect(parseMavenPath(p)).toEqual(expected);
  });

  it.each([
    ['test-project/1.0.1/a.jar', /group path/],
    ['gitea/maven-metadata.xml', /groupId and an artifactId/],
    ['com/gitea/test-project/../1.0.1/a.jar', /not allowed/],
    ['com//gitea/test-project/1.0.1/a.jar', /empty path segment/],
    ['com/gitea/test-project/1.0.1/..', /not allowed/],
    ['com/gi"tea/test-project/1.0.1/a.jar', /groupId/],
    ['com/gitea/test|project/1.0.1/a.jar', /artifactId/],
    ['com/gitea/test-project/1.0<1/a.jar', /version/],
  ])('refuses %s', (p, reason) => {
    expect(() => parseMavenPath(p)).toThrow(reason);
  });
});

describe('parsePom', () => {
  it('reads coordinates (groupId from the parent), texts with entities, http url, licenses and dependencies', () => {
    expect(parsePom(readFileSync(path.join(__dirname, 'fixtures/test-project-1.0.1.pom')))).toEqual(
      {
        groupId: 'com.gitea',
        artifactId: 'test-project',
        version: '1.0.1',
        name: 'Test & project',
        description: 'It is a <test> ✓',
        url: 'https://gitea.io',
        licenses: ['MIT', 'Apache-2.0'],
        dependencies: [
          { groupId: 'org.example', artifactId: 'lib', version: '2.0' },
          { groupId: 'junit', artifactId: 'junit', version: '4.13', scope: 'test' },
        ],
      },
    );
  });

  it('decodes the declared charset and drops a non-http url', () => {
    const pom = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><project><groupId>g</groupId><artifactId>a</artifactId><description>caf\xe9</description><url>javascript:alert(1)</url></project>',
      'latin1',
    );
    expect(parsePom(pom)).toEqual({ groupId: 'g', artifactId: 'a', description: 'café' });
  });

  it.each([
    [
      'an XXE DOCTYPE',
      '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><project><groupId>&x;</groupId><artifactId>a</artifactId></project>',
      /DOCTYPE/,
    ],
    [
      'a billion-laughs DOCTYPE',
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><project/>',
      /DOCTYPE/,
    ],
    ['malformed XML', '<project><groupId>g</groupId>', /not well-formed/],
    [
      'elements nested 100,000 deep',
      `<project>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</project>`,
      /the pom cannot be read: .*nested/i,
    ],
    ['no groupId', '<project><artifactId>a</artifactId></project>', /group ID is missing/],
    ['no artifactId', '<project><groupId>g</groupId></project>', /artifact ID is missing/],
    ['no project', '<other/>', /no <project>/],
    [
      'an unknown encoding',
      '<?xml version="1.0" encoding="x-wharf"?><project/>',
      /unsupported encoding/,
    ],
  ])('refuses %s', (_what, xml, reason) => {
    expect(() => parsePom(Buffer.from(xml))).toThrow(reason);
  });
});

// Issue 11: the hostile-name corpus, percent-encoded as a client would send it, is refused
// in the group, artifact, version and file-name positions.
describe('parseMavenPath against the hostile corpus', () => {
  const positions = (v: string) => [
    `${v}/gitea/test-project/1.0.1/a.jar`,
    `com/gitea/${v}/1.0.1/a.jar`,
    `com/gitea/test-project/${v}/a.jar`,
    `com/gitea/test-project/1.0.1/${v}`,
  ];
  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))('refuses %s', (_l, { value, fileNameOnly }) => {
    const encoded = encodeURIComponent(value);
    const paths = positions(encoded);
    for (const p of fileNameOnly ? paths.slice(3) : paths)
      expect(() => parseMavenPath(p)).toThrow(/^invalid /);
  });
});

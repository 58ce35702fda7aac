import { parseMavenPath } from './maven.metadata';

/*
 * Issue 11: the grammars refuse attacks, not real artifacts. The paths Forgejo's Maven
 * integration test publishes and reads (tests/integration/api_packages_maven_test.go) must
 * parse: group com.gitea, artifact test-project, versions 1.0.1 and 1.0.1-SNAPSHOT, file
 * names `com.gitea-test-project-1.0.1.jar` (older tests: `com.gitea:test-project-1.0.1.jar`).
 */
const ROOT = 'com/gitea/test-project';
const FILES = ['com.gitea-test-project-1.0.1.jar', 'com.gitea:test-project-1.0.1.jar'];

describe("Forgejo's Maven fixtures", () => {
  it.each(
    FILES.flatMap((file) => [
      `1.0.1/${file}`,
      `1.0.1/${file}.pom`,
      `1.0.1/${file}.sha1`,
      `1.0.1/${file}.md5`,
      `1.0.1/${file}.sha256`,
      `1.0.1/${file}.sha512`,
      `1.2.3/${file}`,
      `1.0.1-SNAPSHOT/${file}`,
      '1.0.1-SNAPSHOT/maven-metadata.xml',
    ]),
  )('accepts %s', (rest) => {
    expect(parseMavenPath(`${ROOT}/${rest}`)).toMatchObject({
      kind: 'file',
      groupId: 'com.gitea',
      artifactId: 'test-project',
    });
  });

  it.each(['maven-metadata.xml', 'maven-metadata.xml.sha1', 'maven-metadata.xml.sha512'])(
    'accepts the artifact-level %s',
    (file) => {
      expect(parseMavenPath(`${ROOT}/${file}`)).toMatchObject({
        kind: 'artifact-metadata',
        groupId: 'com.gitea',
        artifactId: 'test-project',
      });
    },
  );
});

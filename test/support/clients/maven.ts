import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Maven for the client tests, offline: Debian's packages put the plugins in
 * /usr/share/maven-repo (CLIENTS.md). The settings route every repository except
 * `wharf` to that directory, so only the project's own artifacts come from Wharf.
 *
 * apt-get install -y maven libmaven-deploy-plugin-java libmaven-install-plugin-java \
 *   libmaven-compiler-plugin-java libmaven-resources-plugin-java libmaven-jar-plugin-java \
 *   libsurefire-java libmaven-dependency-plugin-java
 */
export const DEBIAN_MAVEN_REPO = '/usr/share/maven-repo';

/** Debian 12's plugin versions, pinned so Maven never looks for others. */
export const PLUGIN_VERSIONS: Record<string, string> = {
  'maven-compiler-plugin': '3.10.1',
  'maven-resources-plugin': '3.3.0',
  'maven-jar-plugin': '3.3.0',
  'maven-surefire-plugin': '2.22.3',
  'maven-install-plugin': '3.1.0',
  'maven-deploy-plugin': '3.0.0',
  'maven-dependency-plugin': '3.5.0',
};

export interface FoundMaven {
  available: boolean;
  missing: string;
}

export function findMaven(): FoundMaven {
  try {
    execFileSync('mvn', ['-v'], { stdio: 'pipe', timeout: 60_000 });
  } catch {
    return { available: false, missing: 'mvn (apt-get install maven)' };
  }
  const absent = Object.entries(PLUGIN_VERSIONS).filter(
    ([id, v]) => !existsSync(path.join(DEBIAN_MAVEN_REPO, 'org/apache/maven/plugins', id, v)),
  );
  if (absent.length)
    return {
      available: false,
      missing: `Debian's Maven plugins ${absent.map(([id, v]) => `${id} ${v}`).join(', ')} in ${DEBIAN_MAVEN_REPO}`,
    };
  return { available: true, missing: '' };
}

/** A settings.xml: its own local repository, Debian's plugins, Wharf credentials for server `wharf`. */
export function writeSettings(
  file: string,
  localRepo: string,
  credentials?: { username: string; password: string },
): void {
  const server = credentials
    ? `<servers><server><id>wharf</id><username>${credentials.username}</username><password>${credentials.password}</password></server></servers>`
    : '';
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="UTF-8"?>
<settings>
  <localRepository>${localRepo}</localRepository>
  <offline>false</offline>
  <interactiveMode>false</interactiveMode>
  ${server}
  <mirrors>
    <!-- Everything but Wharf resolves from Debian's plugin repository. -->
    <mirror><id>debian</id><mirrorOf>*,!wharf</mirrorOf><url>file://${DEBIAN_MAVEN_REPO}</url></mirror>
    <!-- Maven 3.8 blocks http:// repositories through this mirror id: re-declare it matching nothing. -->
    <mirror><id>maven-default-http-blocker</id><mirrorOf>external:dummy:*</mirrorOf><url>http://0.0.0.0/</url><blocked>false</blocked></mirror>
  </mirrors>
</settings>
`,
  );
}

export interface ProjectSpec {
  groupId: string;
  artifactId: string;
  version: string;
  repoUrl: string;
  /** `g:a:v` coordinates the project depends on. */
  dependencies?: string[];
  /** Java source of the one class, `package wharf;`. */
  source: string;
  className: string;
}

/** A one-class jar project that deploys to (and resolves from) Wharf. */
export function writeProject(dir: string, p: ProjectSpec): void {
  mkdirSync(path.join(dir, 'src/main/java/wharf'), { recursive: true });
  writeFileSync(path.join(dir, `src/main/java/wharf/${p.className}.java`), p.source);
  const deps = (p.dependencies ?? [])
    .map((c) => c.split(':'))
    .map(
      ([g, a, v]) =>
        `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`,
    )
    .join('');
  const plugins = Object.entries(PLUGIN_VERSIONS)
    .map(
      ([id, v]) =>
        `<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>${id}</artifactId><version>${v}</version></plugin>`,
    )
    .join('');
  const repo = `<id>wharf</id><url>${p.repoUrl}</url>`;
  writeFileSync(
    path.join(dir, 'pom.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>${p.groupId}</groupId>
  <artifactId>${p.artifactId}</artifactId>
  <version>${p.version}</version>
  <packaging>jar</packaging>
  <name>${p.artifactId}</name>
  <description>A Wharf test project</description>
  <url>https://example.com/${p.artifactId}</url>
  <licenses><license><name>MIT</name></license></licenses>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>${deps}</dependencies>
  <repositories><repository>${repo}<snapshots><enabled>true</enabled><updatePolicy>always</updatePolicy></snapshots></repository></repositories>
  <distributionManagement>
    <repository>${repo}</repository>
    <snapshotRepository>${repo}</snapshotRepository>
  </distributionManagement>
  <build><pluginManagement><plugins>${plugins}</plugins></pluginManagement></build>
</project>
`,
  );
}

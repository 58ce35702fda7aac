import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { InvalidArtifactError } from '@wharf/packages-core';
import { chartFileName, isSemver2, parseChartYaml, readChartMetadata } from './helm.metadata';

// fixtures/wharf-demo-0.1.0.tgz: `helm create wharf-demo` + maintainers/keywords/home, `helm package` (helm 3.17).
const FIXTURE = readFileSync(path.join(__dirname, 'fixtures/wharf-demo-0.1.0.tgz'));

/** A gzip'd tar of the given entries, built the way a hand-made archive would be. */
async function tgz(
  entries: {
    name: string;
    body?: string;
    type?: 'file' | 'symlink' | 'directory';
    linkname?: string;
  }[],
): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries)
    pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname }, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const CHART = 'apiVersion: v2\nname: test-chart\nversion: 1.0.3\n';

describe('readChartMetadata', () => {
  it('reads Chart.yaml of a chart packaged by helm', async () => {
    const meta = await readChartMetadata(Readable.from(FIXTURE));
    expect(meta).toEqual({
      apiVersion: 'v2',
      name: 'wharf-demo',
      version: '0.1.0',
      type: 'application',
      appVersion: '1.16.0',
      description: 'A chart made by helm create for Wharf tests',
      home: 'https://example.com/wharf-demo',
      keywords: ['demo', 'wharf'],
      maintainers: [{ name: 'Wharf Tests', email: 'tests@example.com' }],
    });
    expect(chartFileName(meta)).toBe('wharf-demo-0.1.0.tgz');
  });

  it('takes <dir>/Chart.yaml only: not a sub-chart, not one at the root', async () => {
    const archive = await tgz([
      { name: 'Chart.yaml', body: 'apiVersion: v2\nname: root\nversion: 9.9.9\n' },
      { name: 'c/charts/sub/Chart.yaml', body: 'apiVersion: v2\nname: sub\nversion: 9.9.9\n' },
      { name: 'c/Chart.yaml', body: CHART },
    ]);
    expect((await readChartMetadata(Readable.from(archive))).name).toBe('test-chart');
  });

  it.each([
    ['no Chart.yaml', [{ name: 'c/values.yaml', body: 'a: 1' }], /Chart.yaml file is missing/],
    [
      'a leading ./ (one slash too many)',
      [{ name: './c/Chart.yaml', body: CHART }],
      /Chart.yaml file is missing/,
    ],
    [
      'Chart.yaml as a symlink',
      [{ name: 'c/Chart.yaml', type: 'symlink' as const, linkname: '/etc/passwd' }],
      /"c\/Chart.yaml" that is refused: it is a symbolic link/,
    ],
    [
      'a ../ entry',
      [
        { name: '../evil', body: 'x' },
        { name: 'c/Chart.yaml', body: CHART },
      ],
      /the name has a ".." segment/,
    ],
    ['an absolute entry', [{ name: '/etc/evil', body: 'x' }], /the name is an absolute path/],
  ])('refuses an archive with %s', async (_what, entries, reason) => {
    await expect(readChartMetadata(Readable.from(await tgz(entries)))).rejects.toThrow(reason);
  });

  it('refuses bytes that are not a gzip tar', async () => {
    await expect(readChartMetadata(Readable.from(Buffer.from('not a chart')))).rejects.toThrow(
      InvalidArtifactError,
    );
    await expect(readChartMetadata(Readable.from(Buffer.from('not a chart')))).rejects.toThrow(
      /not a valid gzip-compressed tar/,
    );
  });

  it('stops at its byte budgets: a huge Chart.yaml, and a bomb before Chart.yaml', async () => {
    const big = await tgz([
      { name: 'c/Chart.yaml', body: `${CHART}description: ${'x'.repeat(5000)}\n` },
    ]);
    await expect(
      readChartMetadata(Readable.from(big), { maxChartYaml: 1000, maxUnpacked: 1e6 }),
    ).rejects.toThrow(/"c\/Chart.yaml" of \d+ bytes; at most 1000 are read/);
    const bomb = await tgz([
      { name: 'c/zeros', body: '\0'.repeat(2_000_000) },
      { name: 'c/Chart.yaml', body: CHART },
    ]);
    expect(bomb.length).toBeLessThan(10_000);
    await expect(
      readChartMetadata(Readable.from(bomb), { maxChartYaml: 1000, maxUnpacked: 1_000_000 }),
    ).rejects.toThrow('the chart unpacks to more than 1000000 bytes');
  });

  describe('refuses archives made by GNU tar with links or names outside the chart', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-helm-tar-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** A fresh chart directory `c/` and a file beside it, then `prepare`, then `tar -cPz`. */
    function chartTar(prepare: string, entries: string): Buffer {
      const work = mkdtempSync(path.join(dir, 'case-'));
      mkdirSync(path.join(work, 'c/templates'), { recursive: true });
      writeFileSync(path.join(work, 'c/Chart.yaml'), CHART);
      writeFileSync(path.join(work, 'outside'), 'x');
      return execFileSync('sh', ['-c', `${prepare} && tar -cPzf - ${entries}`], { cwd: work });
    }

    it.each([
      ['a symlink', 'ln -sf /etc/passwd c/templates/x.yaml', 'c', /it is a symbolic link/],
      ['a hard link', 'ln -f c/Chart.yaml c/copy.yaml', 'c', /it is a hard link/],
      ['a ../ entry', 'cd c', '. ../outside', /the name has a ".." segment/],
    ])('%s', async (_what, prepare, entries, reason) => {
      const archive = chartTar(prepare, entries);
      const err = await readChartMetadata(Readable.from([archive])).catch((e: Error) => e);
      expect(err).toBeInstanceOf(InvalidArtifactError);
      expect((err as Error).message).toMatch(reason);
    });
  });
});

describe('parseChartYaml', () => {
  it.each([
    ['not YAML', 'a: [1', /not valid YAML/],
    ['a list', '- a', /must be a YAML mapping/],
    ['no apiVersion', 'name: a\nversion: 1.0.0', /apiVersion must be v1 or v2/],
    ['apiVersion v3', 'apiVersion: v3\nname: a\nversion: 1.0.0', /apiVersion must be v1 or v2/],
    [
      'a bad type',
      'apiVersion: v2\nname: a\nversion: 1.0.0\ntype: plugin',
      /type must be application or library/,
    ],
    ['no name', 'apiVersion: v2\nversion: 1.0.0', /package name is invalid/],
    [
      'a name with a slash',
      'apiVersion: v2\nname: a/b\nversion: 1.0.0',
      /package name is invalid: Chart.yaml's invalid chart name/,
    ],
    [
      'a name ..',
      'apiVersion: v2\nname: ..\nversion: 1.0.0',
      /package name is invalid: Chart.yaml's invalid chart name/,
    ],
    ['no version', 'apiVersion: v2\nname: a', /package version is invalid/],
    [
      'version 1.0',
      'apiVersion: v2\nname: a\nversion: "1.0"',
      /package version is invalid: .*it must consist of a SemVer 2 version/,
    ],
    [
      'version v1.0.0',
      'apiVersion: v2\nname: a\nversion: v1.0.0',
      /package version is invalid: .*it must consist of a SemVer 2 version/,
    ],
    ['keywords not a list', `${CHART}keywords: a`, /keywords in Chart.yaml must be a list/],
    [
      'a maintainer that is not a mapping',
      `${CHART}maintainers: [a]`,
      /maintainers\[0\] in Chart.yaml must be a mapping/,
    ],
    [
      'a dependency without a name',
      `${CHART}dependencies: [{version: 1.0.0}]`,
      /dependencies\[0\] has no name/,
    ],
    [
      'alias bombs',
      `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n${CHART}`,
      /not valid YAML/,
    ],
  ])('refuses %s with a reason', (_what, text, reason) => {
    expect(() => parseChartYaml(text)).toThrow(reason);
  });

  it("keeps Forgejo's fields, drops a non-http home, reads a numeric appVersion as text", () => {
    const meta = parseChartYaml(
      `${CHART}home: javascript:alert(1)\nappVersion: 1.16\ndeprecated: true\nannotations: {a: b}\n` +
        'dependencies:\n  - name: dep1\n    version: 1.0.0\n    repository: https://example.com/\n    import-values: [x]\nunknown: dropped\n',
    );
    expect(meta).toEqual({
      apiVersion: 'v2',
      name: 'test-chart',
      version: '1.0.3',
      appVersion: '1.16',
      deprecated: true,
      annotations: { a: 'b' },
      dependencies: [
        {
          name: 'dep1',
          version: '1.0.0',
          repository: 'https://example.com/',
          'import-values': ['x'],
        },
      ],
    });
  });

  it.each(['1.0.0', '0.1.0', '1.0.0-rc.1+b', '10.20.30-alpha.beta+exp.sha.5114f85'])(
    'accepts SemVer 2 %p',
    (v) => {
      expect(isSemver2(v)).toBe(true);
    },
  );
});

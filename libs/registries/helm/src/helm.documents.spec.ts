import { parse } from 'yaml';
import { buildIndexYaml } from './helm.documents';

describe('buildIndexYaml', () => {
  const chart = (version: string, createdUnix: number) => ({
    metadata: {
      apiVersion: 'v2' as const,
      name: 'test-chart',
      version,
      description: 'Gitea Test Package',
      maintainers: [{ name: 'KN4CK3R' }],
    },
    filename: `test-chart-${version}.tgz`,
    sha256: 'ab'.repeat(32),
    createdUnix,
    updatedUnix: createdUnix,
  });

  it('lists entries by chart name with urls, digest and created; contextPath is the repository path', () => {
    const now = new Date('2026-01-02T08:30:00.123Z');
    const doc = buildIndexYaml(
      [chart('1.0.3', 1767268800), chart('1.1.0+b', 1767268900)],
      'http://h:1/api/packages/user2/helm',
      now,
    );
    expect(parse(doc.body)).toEqual({
      apiVersion: 'v1',
      entries: {
        'test-chart': [
          {
            ...chart('1.1.0+b', 0).metadata,
            urls: ['http://h:1/api/packages/user2/helm/test-chart-1.1.0%2Bb.tgz'],
            created: '2026-01-01T12:01:40.000Z',
            digest: 'ab'.repeat(32),
          },
          {
            ...chart('1.0.3', 0).metadata,
            urls: ['http://h:1/api/packages/user2/helm/test-chart-1.0.3.tgz'],
            created: '2026-01-01T12:00:00.000Z',
            digest: 'ab'.repeat(32),
          },
        ],
      },
      generated: '2026-01-02T08:30:00.123Z',
      serverInfo: { contextPath: '/api/packages/user2/helm' },
    });
  });

  it('has an ETag that ignores `generated` and changes with the entries', () => {
    const a = buildIndexYaml([chart('1.0.3', 1)], 'http://h/api/packages/u/helm', new Date(1));
    const b = buildIndexYaml([chart('1.0.3', 1)], 'http://h/api/packages/u/helm', new Date(2));
    const c = buildIndexYaml([], 'http://h/api/packages/u/helm', new Date(2));
    expect(a.etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    expect(a.etag).toBe(b.etag);
    expect(c.etag).not.toBe(a.etag);
    expect(parse(c.body).entries).toEqual({});
  });
});

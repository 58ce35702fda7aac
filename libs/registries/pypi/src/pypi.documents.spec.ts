import {
  buildIndexHtml,
  buildIndexJson,
  buildProjectHtml,
  buildProjectJson,
  contentTypeOf,
  negotiateSimpleFormat,
  pathSegment,
  SimpleFormat,
  SimpleProject,
} from './pypi.documents';

const BASE = 'https://wharf.example/api/packages/alice/pypi';
const SHA = 'a'.repeat(64);
const META_SHA = 'b'.repeat(64);

const project: SimpleProject = {
  name: 'wharf-demo',
  versions: ['1.0', '1!2.0+local'],
  files: [
    {
      filename: 'wharf_demo-1.0-py3-none-any.whl',
      url: `${BASE}/files/wharf-demo/1.0/wharf_demo-1.0-py3-none-any.whl`,
      sha256: SHA,
      size: 1234,
      uploadedUnix: 1_700_000_000,
      requiresPython: '>=3.7,<4',
      coreMetadataSha256: META_SHA,
    },
    {
      filename: 'wharf-demo-1.0.tar.gz',
      url: `${BASE}/files/wharf-demo/1.0/wharf-demo-1.0.tar.gz?a=1&b=2`,
      sha256: SHA,
      size: 99,
      uploadedUnix: 1_700_000_001,
    },
  ],
};

describe('negotiateSimpleFormat (PEP 691)', () => {
  it.each<[string | undefined, SimpleFormat | undefined]>([
    [undefined, 'text-html'],
    ['', 'text-html'],
    ['*/*', 'text-html'],
    ['text/html', 'text-html'],
    ['application/vnd.pypi.simple.v1+json', 'json'],
    ['application/vnd.pypi.simple.latest+json', 'json'],
    ['application/vnd.pypi.simple.v1+html', 'html'],
    // pip ≥ 22.2
    [
      'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01',
      'json',
    ],
    ['text/html; q=0.5, application/vnd.pypi.simple.v1+json; q=0.9', 'json'],
    ['application/vnd.pypi.simple.v1+html, application/vnd.pypi.simple.v1+json', 'html'],
    ['application/*', 'json'],
    ['APPLICATION/VND.PYPI.SIMPLE.V1+JSON', 'json'],
    ['application/vnd.pypi.simple.v1+json; q=0', undefined],
    ['application/xml', undefined],
    ['application/vnd.pypi.simple.v2+json', undefined],
  ])('Accept %j → %j', (accept, expected) => {
    expect(negotiateSimpleFormat(accept)).toBe(expected);
  });

  it('lets ?format= win over Accept', () => {
    expect(negotiateSimpleFormat('text/html', 'application/vnd.pypi.simple.v1+json')).toBe('json');
    expect(negotiateSimpleFormat('text/html', 'application/pdf')).toBeUndefined();
  });

  it('names the content type of each format', () => {
    expect(contentTypeOf('json')).toBe('application/vnd.pypi.simple.v1+json');
    expect(contentTypeOf('html')).toBe('application/vnd.pypi.simple.v1+html; charset=utf-8');
    expect(contentTypeOf('text-html')).toBe('text/html; charset=utf-8');
  });
});

describe('buildProjectHtml (PEP 503)', () => {
  const html = buildProjectHtml(project);

  it('links each file with its hash, Requires-Python and metadata hints', () => {
    expect(html).toContain(
      `<a href="${BASE}/files/wharf-demo/1.0/wharf_demo-1.0-py3-none-any.whl#sha256=${SHA}" ` +
        `data-requires-python="&gt;=3.7,&lt;4" ` +
        `data-dist-info-metadata="sha256=${META_SHA}" data-core-metadata="sha256=${META_SHA}">` +
        `wharf_demo-1.0-py3-none-any.whl</a><br>`,
    );
    expect(html).toContain(
      `<a href="${BASE}/files/wharf-demo/1.0/wharf-demo-1.0.tar.gz?a=1&amp;b=2#sha256=${SHA}">wharf-demo-1.0.tar.gz</a><br>`,
    );
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<meta name="pypi:repository-version" content="1.1">');
    expect(html).toContain('<title>Links for wharf-demo</title>');
  });

  it('escapes names, file names and URLs', () => {
    const evil = buildProjectHtml({
      name: 'a<b>&"c\'',
      versions: [],
      files: [
        {
          filename: '<script>alert(1)</script>.whl',
          url: 'https://x.example/"onmouseover="x',
          sha256: SHA,
          size: 1,
          uploadedUnix: 0,
          requiresPython: '"><script>',
        },
      ],
    });
    expect(evil).toContain('<title>Links for a&lt;b&gt;&amp;&quot;c&#39;</title>');
    expect(evil).toContain('&lt;script&gt;alert(1)&lt;/script&gt;.whl</a>');
    expect(evil).toContain('href="https://x.example/&quot;onmouseover=&quot;x#sha256=');
    expect(evil).toContain('data-requires-python="&quot;&gt;&lt;script&gt;"');
    expect(evil).not.toMatch(/<script>/);
  });
});

describe('buildProjectJson (PEP 691, 700, 714)', () => {
  it('has the exact shape pip reads', () => {
    expect(buildProjectJson(project)).toEqual({
      meta: { 'api-version': '1.1' },
      name: 'wharf-demo',
      versions: ['1.0', '1!2.0+local'],
      files: [
        {
          filename: 'wharf_demo-1.0-py3-none-any.whl',
          url: project.files[0].url,
          hashes: { sha256: SHA },
          'requires-python': '>=3.7,<4',
          size: 1234,
          'upload-time': '2023-11-14T22:13:20.000Z',
          yanked: false,
          'core-metadata': { sha256: META_SHA },
          'dist-info-metadata': { sha256: META_SHA },
        },
        {
          filename: 'wharf-demo-1.0.tar.gz',
          url: project.files[1].url,
          hashes: { sha256: SHA },
          size: 99,
          'upload-time': '2023-11-14T22:13:21.000Z',
          yanked: false,
          'core-metadata': false,
          'dist-info-metadata': false,
        },
      ],
    });
  });
});

describe('the index', () => {
  const projects = [
    { name: 'wharf-demo', url: `${BASE}/simple/wharf-demo/` },
    { name: 'x&y', url: `${BASE}/simple/x%26y/?a=1&b=2` },
  ];

  it('lists projects as HTML, escaped', () => {
    const html = buildIndexHtml(projects);
    expect(html).toContain(`<a href="${BASE}/simple/wharf-demo/">wharf-demo</a><br>`);
    expect(html).toContain(`<a href="${BASE}/simple/x%26y/?a=1&amp;b=2">x&amp;y</a><br>`);
    expect(html).toContain('<title>Simple index</title>');
  });

  it('lists projects as JSON', () => {
    expect(buildIndexJson(projects)).toEqual({
      meta: { 'api-version': '1.1' },
      projects: [{ name: 'wharf-demo' }, { name: 'x&y' }],
    });
  });
});

describe('pathSegment', () => {
  it.each([
    ['1.0+local', '1.0+local'],
    ['1!2.0', '1!2.0'],
    ['a b/c', 'a%20b%2Fc'],
    ['x#y?z', 'x%23y%3Fz'],
  ])('%j → %j', (input, expected) => {
    expect(pathSegment(input)).toBe(expected);
  });
});

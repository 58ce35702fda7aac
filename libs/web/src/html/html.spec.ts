import { html, pathOf } from './html';
import { renderMarkdown } from './markdown';

const h = html;

describe('html template tag', () => {
  it('escapes every interpolated value, nested templates and lists included', () => {
    const name = `<img src=x onerror="alert('1')">&\``;
    // `h`, not `html`: prettier would reformat an `html` template's markup.
    const out = h`<p title="${name}">${name}</p>${[name, h`<b>${name}</b>`]}`.value;
    expect(out).not.toContain('<img');
    expect(out).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;">' +
        '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;</p>' +
        '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;' +
        '<b>&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;</b>',
    );
  });

  it('leaves out null, undefined and false, and prints numbers', () => {
    expect(html`${null}${undefined}${false}${0}${12}`.value).toBe('012');
  });

  it('percent-encodes path segments', () => {
    expect(pathOf('@acme/lib', '1.0.0+build', '../x')).toBe('/%40acme%2Flib/1.0.0%2Bbuild/..%2Fx');
  });
});

describe('README markdown', () => {
  it('shows raw HTML as text and drops script links', () => {
    const out = renderMarkdown(
      '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) [b](data:text/html,x) [c](https://example.com/)',
    ).value;
    expect(out).not.toMatch(/<script|<img|href="javascript|href="data/i);
    expect(out).toContain('&lt;script&gt;');
    expect(out).toContain(
      '<a href="https://example.com/" rel="nofollow noopener noreferrer">c</a>',
    );
  });

  it('puts README headings under the page heading levels', () => {
    expect(renderMarkdown('# One\n\n###### Six').value).toBe('<h3>One</h3>\n<h6>Six</h6>\n');
  });
});

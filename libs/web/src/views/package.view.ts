import { html, pathOf, SafeHtml } from '../html/html';
import type { InstallSnippet as Snippet } from '../install/install-instructions';
import { renderMarkdown } from '../html/markdown';
import { summarizeMetadata } from '../packages/metadata-summary';
import type { PackagePage } from '../packages/package-pages.service';
import { formatBytes, formatTime, isoTime, isPreRelease } from './format';
import { csrfField, layout, Viewer } from './layout';

function snippetBlock(snippet: Snippet, index: number): SafeHtml {
  const id = `install-${index}`;
  return html`<section class="snippet" aria-labelledby="${id}-title">
    <div class="bar">
      <h3 id="${id}-title">${snippet.title}</h3>
      <button type="button" class="secondary" data-copy="${id}" aria-label="Copy: ${snippet.title}">
        Copy
      </button>
    </div>
    <pre><code id="${id}" class="language-${snippet.language}">${snippet.code}</code></pre>
    ${snippet.note ? html`<p class="muted">${snippet.note}</p>` : ''}
  </section>`;
}

/**
 * A file's known digests. Container layers are stored with sha256 only (their content
 * digest); the others are computed when a format serves them, so they may be unknown here.
 */
function digestRows(blob: {
  hashSha256: string;
  hashSha512: string | null;
  hashSha1: string | null;
  hashMd5: string | null;
}) {
  const known: [string, string | null][] = [
    ['sha256', blob.hashSha256],
    ['sha512', blob.hashSha512],
    ['sha1', blob.hashSha1],
    ['md5', blob.hashMd5],
  ];
  return known
    .filter(([, value]) => value)
    .map(
      ([name, value]) =>
        html`<dt>${name}</dt>
          <dd><code>${value}</code></dd>`,
    );
}

export function packagePage(viewer: Viewer, page: PackagePage, snippets: Snippet[]): string {
  const { owner, package: pkg, selected } = page;
  const version = selected.version;
  const pkgPath = `${pathOf(owner.name)}/-/packages/${encodeURIComponent(pkg.type)}/${encodeURIComponent(pkg.name)}`;
  const versionPath = `${pkgPath}/${encodeURIComponent(version.version)}`;
  const meta = summarizeMetadata(selected.metadata);
  const files = selected.files.map(
    ({ file, blob }) =>
      html`<tr>
        <td><a href="${versionPath}/files/${file.id}" download>${file.name}</a></td>
        <td class="num">${formatBytes(blob.size)}</td>
        <td>
          <details>
            <summary>sha256 <code class="digest">${blob.hashSha256.slice(0, 12)}…</code></summary>
            <dl class="digest">${digestRows(blob)}</dl>
          </details>
        </td>
      </tr>`,
  );
  const versions = page.versions.map(
    (v) => html`<li${v.id === version.id ? html` aria-current="page"` : ''}>
  <a href="${pkgPath}/${encodeURIComponent(v.version)}">${v.version}</a>
  ${isPreRelease(v.version) ? html`<span class="badge">pre-release</span>` : ''}
  <span class="muted"><time datetime="${isoTime(v.createdUnix)}">${formatTime(v.createdUnix)}</time></span>
</li>`,
  );
  return layout(
    viewer,
    `${pkg.name} ${version.version}`,
    html`<p class="muted">
        <a href="${pathOf(owner.name)}/-/packages">${owner.name}</a> /
        <span class="badge type">${pkg.type}</span>
      </p>
      <h1>
        ${pkg.name}
        <span class="muted">${version.version}</span>
        ${isPreRelease(version.version) ? html`<span class="badge">pre-release</span>` : ''}
      </h1>
      ${meta.description ? html`<p>${meta.description}</p>` : ''}
      <div class="layout">
        <div>
          <section aria-labelledby="install-heading">
            <h2 id="install-heading">Installation</h2>
            ${snippets.length ? snippets.map(snippetBlock) : html`<p class="muted">Download the files below.</p>`}
          </section>
          <section aria-labelledby="files-heading">
            <h2 id="files-heading">Files</h2>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col" class="num">Size</th>
                    <th scope="col">Digests</th>
                  </tr>
                </thead>
                <tbody>
                  ${files}
                </tbody>
              </table>
            </div>
          </section>
          ${
            meta.readme
              ? html`<section aria-labelledby="readme-heading" class="readme">
                  <h2 id="readme-heading">README</h2>
                  ${renderMarkdown(meta.readme)}
                </section>`
              : ''
          }
        </div>
        <aside aria-label="Details">
          <h2>Details</h2>
          <dl>
            <dt>Published</dt>
            <dd>
              <time datetime="${isoTime(version.createdUnix)}"
                >${formatTime(version.createdUnix)}</time
              >
            </dd>
            ${
              meta.license
                ? html`<dt>License</dt>
                    <dd>${meta.license}</dd>`
                : ''
            }
            ${
              meta.homepage
                ? html`<dt>Homepage</dt>
                    <dd>
                      <a href="${meta.homepage}" rel="nofollow noopener noreferrer"
                        >${meta.homepage}</a
                      >
                    </dd>`
                : ''
            }
            <dt>Total size</dt>
            <dd>${formatBytes(selected.files.reduce((n, f) => n + f.blob.size, 0))}</dd>
          </dl>
          ${
            meta.dependencies.length
              ? html`<h2>Dependencies</h2>
                  <ul>
                    ${meta.dependencies.map((d) => html`<li><code>${d}</code></li>`)}
                  </ul>`
              : ''
          }
          <h2 id="versions-heading">Versions (${page.versions.length})</h2>
          <ul class="versions" aria-labelledby="versions-heading" tabindex="0">
            ${versions}
          </ul>
          ${
            page.canWrite
              ? html`<h2>Manage</h2>
                  <form
                    method="post"
                    action="${versionPath}/delete"
                    data-confirm="Delete version ${version.version} of ${pkg.name}? This cannot be undone."
                  >
                    ${csrfField(viewer.csrf)}
                    <button type="submit" class="danger">Delete version ${version.version}</button>
                  </form>`
              : ''
          }
        </aside>
      </div>`,
  );
}

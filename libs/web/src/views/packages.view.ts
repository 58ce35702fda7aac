import { PACKAGE_TYPES, UserEntity } from '@wharf/packages-core';
import { html, pathOf } from '../html/html';
import type { ListPage } from '../packages/package-pages.service';
import { formatBytes, formatTime, isoTime, isPreRelease } from './format';
import { layout, Viewer } from './layout';

/** The instance-wide list (owner: undefined) or one owner's, with type filter, search and pages. */
export function packageListPage(viewer: Viewer, list: ListPage, owner?: UserEntity): string {
  const base = owner ? `${pathOf(owner.name)}/-/packages` : '/explore/packages';
  const title = owner ? `Packages of ${owner.name}` : 'Packages';
  const query = (page: number) => {
    const params = new URLSearchParams();
    if (list.type) params.set('type', list.type);
    if (list.q) params.set('q', list.q);
    if (page > 1) params.set('page', String(page));
    const text = params.toString();
    return text ? `${base}?${text}` : base;
  };
  const rows = list.items.map(
    (i) =>
      html`<tr>
        <td>
          <a
            href="${pathOf(i.owner.name)}/-/packages/${encodeURIComponent(i.package.type)}/${encodeURIComponent(i.package.name)}"
            >${i.package.name}</a
          >
          ${owner ? '' : html`<div class="muted">by <a href="${pathOf(i.owner.name)}/-/packages">${i.owner.name}</a></div>`}
        </td>
        <td><span class="badge type">${i.package.type}</span></td>
        <td>
          ${i.latest.version}
          ${isPreRelease(i.latest.version) ? html`<span class="badge">pre-release</span>` : ''}
          <div class="muted">${i.versionCount} version${i.versionCount === 1 ? '' : 's'}</div>
        </td>
        <td>
          <time datetime="${isoTime(i.latest.createdUnix)}"
            >${formatTime(i.latest.createdUnix)}</time
          >
        </td>
        <td class="num">${formatBytes(i.size)}</td>
      </tr>`,
  );
  return layout(
    viewer,
    title,
    html`<h1>${title}</h1>
      <form
        class="filters"
        method="get"
        action="${base}"
        role="search"
        aria-label="Filter packages"
      >
        <div>
          <label for="filter-type">Type</label>
          <select id="filter-type" name="type" data-autosubmit>
            <option value="">All types</option>
            ${PACKAGE_TYPES.map((t) => html`<option value="${t}" ${t === list.type ? html` selected` : ''}>${t}</option>`)}
          </select>
        </div>
        <div>
          <label for="filter-q">Name</label>
          <input
            type="search"
            id="filter-q"
            name="q"
            value="${list.q ?? ''}"
            placeholder="Search by name"
          />
        </div>
        <div><button type="submit">Search</button></div>
      </form>
      <p class="muted" aria-live="polite">${list.total} package${list.total === 1 ? '' : 's'}</p>
      ${
        list.items.length
          ? html`<div class="table-wrap">
              <table>
                <caption class="skip">
                  ${title}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Latest version</th>
                    <th scope="col">Last published</th>
                    <th scope="col" class="num">Size</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>
            </div>`
          : html`<p>No packages here${list.q || list.type ? ' match these filters' : ' yet'}.</p>`
      }
      <nav class="pager" aria-label="Pages">
        ${list.page > 1 ? html`<a href="${query(list.page - 1)}" rel="prev">Previous page</a>` : ''}
        <span>Page ${list.page} of ${list.pages}</span>
        ${list.page < list.pages ? html`<a href="${query(list.page + 1)}" rel="next">Next page</a>` : ''}
      </nav>`,
  );
}

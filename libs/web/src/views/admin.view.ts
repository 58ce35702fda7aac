import { VISIBILITY_NAMES } from '@wharf/auth';
import { OwnerStorage, UserEntity, Visibility } from '@wharf/packages-core';
import { html, pathOf } from '../html/html';
import { formatBytes, formatTime } from './format';
import { csrfField, layout, notice, Viewer } from './layout';

export interface AdminModel {
  users: UserEntity[];
  usersTotal: number;
  orgs: UserEntity[];
  orgsTotal: number;
  storage: (OwnerStorage & { owner?: UserEntity })[];
  error?: string;
  message?: string;
}

const visibilityName = (v: Visibility) => VISIBILITY_NAMES[v] ?? String(v);

function visibilitySelect(id: string) {
  return html`<label for="${id}">Visibility</label>
    <select id="${id}" name="visibility">
      ${Object.values(VISIBILITY_NAMES).map((n) => html`<option value="${n}">${n}</option>`)}
    </select>`;
}

/** An organization, its state and the form that disables (or enables) it. */
function orgItem(viewer: Viewer, o: UserEntity) {
  const action = o.isActive ? 'disable' : 'enable';
  return html`<li>
    <a href="${pathOf(o.name)}/-/packages">${o.name}</a> (${visibilityName(o.visibility)}${
      o.isActive ? '' : ', disabled: packages served to admins only'
    })
    <form class="inline" method="post" action="/admin/orgs/${encodeURIComponent(o.name)}/${action}">
      ${csrfField(viewer.csrf)}<button
        type="submit"
        class="${o.isActive ? 'danger' : 'secondary'}"
        aria-label="${action} organization ${o.name}"
      >
        ${action === 'disable' ? 'Disable' : 'Enable'}
      </button>
    </form>
  </li>`;
}

function userRow(viewer: Viewer, u: UserEntity) {
  const action = u.isActive ? 'disable' : 'enable';
  return html`<tr>
    <td>
      <a href="${pathOf(u.name)}/-/packages">${u.name}</a
      >${u.isAdmin ? html` <span class="badge type">admin</span>` : ''}
    </td>
    <td>${u.email}</td>
    <td>${visibilityName(u.visibility)}</td>
    <td>
      ${u.isActive ? 'active' : 'disabled'}${u.mustChangePassword ? ' (must change password)' : ''}
    </td>
    <td>${formatTime(u.createdUnix)}</td>
    <td>
      ${
        viewer.user?.id === u.id
          ? html`<span class="muted">you</span>`
          : html`<form
              class="inline"
              method="post"
              action="/admin/users/${encodeURIComponent(u.name)}/${action}"
            >
              ${csrfField(viewer.csrf)}<button
                type="submit"
                class="${u.isActive ? 'danger' : 'secondary'}"
                aria-label="${action} ${u.name}"
              >
                ${action === 'disable' ? 'Disable' : 'Enable'}
              </button>
            </form>`
      }
    </td>
  </tr>`;
}

export function adminPage(viewer: Viewer, model: AdminModel): string {
  return layout(
    viewer,
    'Administration',
    html`<h1>Administration</h1>
      ${notice(model.message)} ${notice(model.error, 'error')}
      <section aria-labelledby="users-heading">
        <h2 id="users-heading">Users (${model.usersTotal})</h2>
        <div class="table-wrap">
          <table>
            <caption class="skip">
              Users
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Visibility</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              ${model.users.map((u) => userRow(viewer, u))}
            </tbody>
          </table>
        </div>
        <h3 id="new-user-heading">Create a user</h3>
        <form method="post" action="/admin/users" aria-labelledby="new-user-heading">
          ${csrfField(viewer.csrf)}
          <label for="new-user-name">User name</label
          ><input type="text" id="new-user-name" name="username" required />
          <label for="new-user-email">Email</label
          ><input type="email" id="new-user-email" name="email" />
          <label for="new-user-password">Password</label
          ><input
            type="password"
            id="new-user-password"
            name="password"
            autocomplete="new-password"
            minlength="8"
            required
          />
          ${visibilitySelect('new-user-visibility')}
          <p>
            <input
              type="checkbox"
              id="new-user-must-change"
              name="must_change_password"
              value="1"
              checked
            />
            <label for="new-user-must-change" style="display:inline"
              >Must change the password at first sign-in</label
            >
          </p>
          <p>
            <input type="checkbox" id="new-user-admin" name="admin" value="1" />
            <label for="new-user-admin" style="display:inline">Site administrator</label>
          </p>
          <p><button type="submit">Create user</button></p>
        </form>
      </section>
      <section aria-labelledby="orgs-heading">
        <h2 id="orgs-heading">Organizations (${model.orgsTotal})</h2>
        ${
          model.orgs.length
            ? html`<ul>
                ${model.orgs.map((o) => orgItem(viewer, o))}
              </ul>`
            : html`<p>No organizations yet.</p>`
        }
        <h3 id="new-org-heading">Create an organization</h3>
        <form method="post" action="/admin/orgs" aria-labelledby="new-org-heading">
          ${csrfField(viewer.csrf)}
          <label for="new-org-name">Name</label
          ><input type="text" id="new-org-name" name="name" required />
          ${visibilitySelect('new-org-visibility')}
          <label for="new-org-admin">First admin (a user name; empty: you)</label
          ><input type="text" id="new-org-admin" name="admin" />
          <p><button type="submit">Create organization</button></p>
        </form>
      </section>
      <section aria-labelledby="storage-heading">
        <h2 id="storage-heading">Storage per owner</h2>
        ${
          model.storage.length
            ? html`<div class="table-wrap">
                <table>
                  <caption class="skip">
                    Storage per owner
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Owner</th>
                      <th scope="col" class="num">Packages</th>
                      <th scope="col" class="num">Stored</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${model.storage.map(
                      (s) =>
                        html`<tr>
                          <td>
                            ${s.owner ? html`<a href="${pathOf(s.owner.name)}/-/packages">${s.owner.name}</a>` : `#${s.ownerId}`}
                          </td>
                          <td class="num">${s.packages}</td>
                          <td class="num">${formatBytes(s.bytes)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
            : html`<p>Nothing stored yet.</p>`
        }
      </section>`,
  );
}

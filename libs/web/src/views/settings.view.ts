import type {
  AccessTokenEntity,
  OrgRole,
  PackageCleanupRuleEntity,
  QuotaGroupView,
  UserEntity,
} from '@wharf/packages-core';
import { html, pathOf } from '../html/html';
import { formatBytes, formatTime } from './format';
import { csrfField, layout, notice, Viewer } from './layout';

/** Forgejo's scope categories, each granted none, read or write. */
export const SCOPE_CATEGORIES = [
  'package',
  'user',
  'organization',
  'admin',
  'activitypub',
  'issue',
  'misc',
  'notification',
  'repository',
] as const;

export interface OwnerHousekeeping {
  owner: UserEntity;
  usedBytes: number;
  versions: number;
  groups: QuotaGroupView[];
  rules: PackageCleanupRuleEntity[];
}

export interface SettingsModel {
  tokens: AccessTokenEntity[];
  orgs: { org: UserEntity; role: OrgRole }[];
  housekeeping: OwnerHousekeeping[];
  /** The secret of a token just created: shown this once. */
  created?: { name: string; secret: string };
  error?: string;
  message?: string;
}

function tokenRows(viewer: Viewer, tokens: AccessTokenEntity[]) {
  return tokens.map(
    (t) =>
      html`<tr>
        <td>${t.name}</td>
        <td><code>…${t.tokenLastEight}</code></td>
        <td>${t.scopes.split(',').join(', ')}</td>
        <td>${t.expiresUnix === null ? 'never' : formatTime(t.expiresUnix)}</td>
        <td>${t.lastUsedUnix === null ? 'never' : formatTime(t.lastUsedUnix)}</td>
        <td>
          <form
            class="inline"
            method="post"
            action="/user/settings/applications/delete"
            data-confirm="Revoke the token ${t.name}? Clients using it stop working."
          >
            ${csrfField(viewer.csrf)}<input type="hidden" name="id" value="${t.id}" />
            <button type="submit" class="danger" aria-label="Revoke token ${t.name}">Revoke</button>
          </form>
        </td>
      </tr>`,
  );
}

function quotaText(groups: QuotaGroupView[]): string {
  const limits = groups.flatMap((g) =>
    g.rules.map((r) => `${g.name}/${r.name}: ${r.limit < 0 ? 'unlimited' : formatBytes(r.limit)}`),
  );
  return limits.length ? limits.join('; ') : 'no quota';
}

function housekeepingSection(items: OwnerHousekeeping[]) {
  return items.map(
    (h) =>
      html`<h3>${h.owner.name}</h3>
        <p>
          Storage used: <strong>${formatBytes(h.usedBytes)}</strong> in ${h.versions}
          version${h.versions === 1 ? '' : 's'} (${quotaText(h.groups)}).
        </p>
        ${
          h.rules.length
            ? html`<div class="table-wrap">
                <table>
                  <caption class="skip">
                    Cleanup rules of ${h.owner.name}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Type</th>
                      <th scope="col">Enabled</th>
                      <th scope="col">Keep</th>
                      <th scope="col">Remove</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${h.rules.map(
                      (r) =>
                        html`<tr>
                          <td>${r.type}</td>
                          <td>${r.enabled ? 'yes' : 'no'}</td>
                          <td>
                            ${r.keepCount ? `newest ${r.keepCount}` : ''}
                            ${r.keepPattern ? html`matching <code>${r.keepPattern}</code>` : ''}
                          </td>
                          <td>
                            ${r.removeDays ? `older than ${r.removeDays} days` : ''}
                            ${r.removePattern ? html`matching <code>${r.removePattern}</code>` : ''}
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
            : html`<p class="muted">
                No cleanup rules (manage them with
                <code>/api/v1/packages/${h.owner.name}/-/cleanup-rules</code>).
              </p>`
        }`,
  );
}

export function settingsPage(viewer: Viewer, model: SettingsModel): string {
  return layout(
    viewer,
    'Applications',
    html`<h1>Settings: access tokens</h1>
      ${notice(model.message)} ${notice(model.error, 'error')}
      ${
        model.created
          ? html`<div class="notice" role="status">
              <p>
                Token <strong>${model.created.name}</strong> created. Copy it now: it is not shown
                again.
              </p>
              <p>
                <code id="new-token" class="token">${model.created.secret}</code>
                <button type="button" class="secondary" data-copy="new-token">Copy</button>
              </p>
            </div>`
          : ''
      }
      <section aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Access tokens</h2>
        ${
          model.tokens.length
            ? html`<div class="table-wrap">
                <table>
                  <caption class="skip">
                    Your access tokens
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Ends in</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Revoke</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${tokenRows(viewer, model.tokens)}
                  </tbody>
                </table>
              </div>`
            : html`<p>You have no access tokens.</p>`
        }
        <h2 id="new-token-heading">Generate a new token</h2>
        <form
          method="post"
          action="/user/settings/applications"
          aria-labelledby="new-token-heading"
        >
          ${csrfField(viewer.csrf)}
          <label for="token-name">Token name</label>
          <input type="text" id="token-name" name="name" required maxlength="255" />
          <fieldset>
            <legend>Scopes</legend>
            <div class="scopes">
              ${SCOPE_CATEGORIES.map(
                (c) =>
                  html`<div>
                    <label for="scope-${c}">${c}</label>
                    <select id="scope-${c}" name="scope-${c}">
                      <option value="">No access</option>
                      <option value="read:${c}">Read</option>
                      <option value="write:${c}">Read and write</option>
                    </select>
                  </div>`,
              )}
            </div>
          </fieldset>
          <label for="token-expiry">Expires on (optional)</label>
          <input type="date" id="token-expiry" name="expires" />
          <p><button type="submit">Generate token</button></p>
        </form>
      </section>
      <section aria-labelledby="orgs-heading">
        <h2 id="orgs-heading">Organizations</h2>
        ${
          model.orgs.length
            ? html`<ul>
                ${model.orgs.map((m) => html`<li><a href="${pathOf(m.org.name)}/-/packages">${m.org.name}</a> (${m.role})</li>`)}
              </ul>`
            : html`<p>You belong to no organization.</p>`
        }
      </section>
      <section aria-labelledby="storage-heading">
        <h2 id="storage-heading">Storage and cleanup</h2>
        ${housekeepingSection(model.housekeeping)}
      </section>
      <p><a href="/user/settings/change_password">Change your password</a></p>`,
  );
}

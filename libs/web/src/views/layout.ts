import type { UserEntity } from '@wharf/packages-core';
import { SCRIPT, STYLESHEET } from '../assets/assets';
import { html, HtmlValue, SafeHtml } from '../html/html';

/** Who is looking, for the header (and the sign-out form's CSRF token). */
export interface Viewer {
  user?: UserEntity;
  csrf?: string;
}

/** The hidden CSRF field every form carries. */
export function csrfField(token: string | undefined): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token ?? ''}" />`;
}

export function notice(message: string | undefined, kind: 'info' | 'error' = 'info'): SafeHtml {
  return message
    ? html`<div class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">
        ${message}
      </div>`
    : html``;
}

/** The page frame: landmarks, skip link, navigation, one stylesheet and one script (no inline code). */
export function layout(viewer: Viewer, title: string, content: HtmlValue): string {
  const user = viewer.user;
  const account = user
    ? html`<span>Signed in as <strong>${user.name}</strong></span>
        <form class="inline" method="post" action="/user/logout">
          ${csrfField(viewer.csrf)}<button type="submit" class="secondary">Sign out</button>
        </form>`
    : html`<a href="/user/login">Sign in</a>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Wharf</title>
        <link rel="stylesheet" href="/assets/${STYLESHEET.name}" />
        <script src="/assets/${SCRIPT.name}" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">Wharf</a>
          <nav aria-label="Main">
            <ul>
              <li><a href="/explore/packages">Packages</a></li>
              ${
                user
                  ? html`<li>
                        <a href="/${encodeURIComponent(user.name)}/-/packages">My packages</a>
                      </li>
                      <li><a href="/user/settings/applications">Settings</a></li>`
                  : ''
              }
              ${user?.isAdmin ? html`<li><a href="/admin">Administration</a></li>` : ''}
            </ul>
          </nav>
          <div class="who">${account}</div>
        </header>
        <main id="main">${content}</main>
      </body>
    </html> `.value;
}

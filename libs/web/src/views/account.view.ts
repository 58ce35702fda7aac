import { html } from '../html/html';
import { csrfField, layout, notice, Viewer } from './layout';

export interface LoginForm {
  csrf: string;
  username?: string;
  redirectTo?: string;
  error?: string;
}

export function loginPage(viewer: Viewer, form: LoginForm): string {
  return layout(
    viewer,
    'Sign in',
    html`<h1>Sign in</h1>
      ${notice(form.error, 'error')}
      <form method="post" action="/user/login">
        ${csrfField(form.csrf)}
        <input type="hidden" name="redirect_to" value="${form.redirectTo ?? ''}" />
        <label for="user_name">User name</label>
        <input
          type="text"
          id="user_name"
          name="user_name"
          autocomplete="username"
          required
          value="${form.username ?? ''}"
          autofocus
        />
        <label for="password">Password</label>
        <input
          type="password"
          id="password"
          name="password"
          autocomplete="current-password"
          required
        />
        <p><button type="submit">Sign in</button></p>
      </form>`,
  );
}

export function changePasswordPage(viewer: Viewer, forced: boolean, error?: string): string {
  return layout(
    viewer,
    'Change password',
    html`<h1>Change your password</h1>
      ${forced ? notice('Your administrator asks you to choose a new password before you continue.') : ''}
      ${notice(error, 'error')}
      <form method="post" action="/user/settings/change_password">
        ${csrfField(viewer.csrf)}
        ${
          forced
            ? ''
            : html`<label for="old_password">Current password</label>
                <input
                  type="password"
                  id="old_password"
                  name="old_password"
                  autocomplete="current-password"
                  required
                />`
        }
        <label for="new_password">New password</label>
        <input
          type="password"
          id="new_password"
          name="password"
          autocomplete="new-password"
          minlength="8"
          required
        />
        <label for="retype">New password, again</label>
        <input
          type="password"
          id="retype"
          name="retype"
          autocomplete="new-password"
          minlength="8"
          required
        />
        <p><button type="submit">Change password</button></p>
      </form>`,
  );
}

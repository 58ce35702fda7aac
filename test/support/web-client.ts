import request from 'supertest';

/**
 * A browser, as far as the web interface can tell over HTTP: it keeps cookies, sends
 * its own Origin on form posts, and reads the CSRF token from the forms it is shown.
 */
export class WebClient {
  private readonly cookies = new Map<string, string>();
  /** The last CSRF token seen in a form. */
  csrf = '';

  constructor(readonly url: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  private remember(res: request.Response): void {
    const set = res.headers['set-cookie'] as unknown as string[] | undefined;
    for (const line of set ?? []) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const token = /name="_csrf" value="([^"]*)"/.exec(res.text ?? '');
    if (token) this.csrf = token[1];
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<request.Response> {
    const res = await request(this.url)
      .get(path)
      .set({ Cookie: this.cookieHeader(), ...headers });
    this.remember(res);
    return res;
  }

  /** A form post with this client's cookies, its Origin and (unless given) the last CSRF token. */
  async post(
    path: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<request.Response> {
    const body = new URLSearchParams({ _csrf: this.csrf, ...form }).toString();
    const res = await request(this.url)
      .post(path)
      .set({
        Cookie: this.cookieHeader(),
        Origin: this.url,
        'Content-Type': 'application/x-www-form-urlencoded',
        ...headers,
      })
      .send(body);
    this.remember(res);
    return res;
  }

  /** Signs in through the login form; returns the final response of the POST. */
  async signIn(username: string, password: string): Promise<request.Response> {
    await this.get('/user/login');
    return this.post('/user/login', { user_name: username, password });
  }
}

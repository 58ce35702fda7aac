import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import {
  ADMIN,
  ADMIN_ENV,
  createOrg,
  createToken,
  createUser,
  PASSWORD,
} from './support/clients/accounts';
import { findNpm, NpmSandbox } from './support/clients/npm';
import { startTestApp, TestApp } from './support/test-app';

/*
 * The web interface in a real browser (Debian's chromium through playwright-core), with a
 * package published by the real npm CLI: sign in, find it, copy its install command and
 * run it with npm, create a token and use it, delete a version, sign out; what anonymous
 * visitors and non-members see; axe-core on every page.
 */
const CHROMIUM = '/usr/bin/chromium';
const npm = findNpm();
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
// The README's screenshot: written there with WHARF_WRITE_SCREENSHOT=1 (a plain run would
// leave the tree changed: names and times differ each run), else beside the test's files.
const SCREENSHOT =
  process.env.WHARF_WRITE_SCREENSHOT === '1'
    ? path.resolve(__dirname, '../docs/screenshots/package-page.png')
    : path.join(os.tmpdir(), 'wharf-package-page.png');
const PKG = `wharf-web-demo-${process.pid}`;

const missing = [
  ...(existsSync(CHROMIUM) ? [] : [`chromium at ${CHROMIUM} (apt-get install chromium)`]),
  ...(npm.available ? [] : [npm.missing]),
].join(' and ');

/** Runs a shell command line (the one copied from the page) in `cwd` with only `env`. */
function sh(command: string, cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; out: string }>((resolve) =>
    execFile(
      'bash',
      ['-c', command],
      { cwd, env: { PATH: process.env.PATH!, ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

describeIf(!missing, missing, 'web interface in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let sandbox: NpmSandbox;
  const axeResults: Record<string, string[]> = {};

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createOrg(t.url, 'alice', 'vault', 'private');
    await request(t.url)
      .put('/api/packages/vault/generic/classified/1.0.0/classified.bin')
      .auth('alice', PASSWORD)
      .send(Buffer.from('top secret\n'))
      .expect(201);
    sandbox = new NpmSandbox(`${t.url}/api/packages/alice/npm/`, {
      token: await createToken(t.url, 'alice'),
    });
    for (const version of ['1.0.0', '1.1.0']) {
      const dir = sandbox.dir(`pkg-${version}`);
      writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({
          name: PKG,
          version,
          description: 'A demo package for the web interface',
          license: 'MIT',
          main: 'index.js',
        }),
      );
      writeFileSync(path.join(dir, 'index.js'), `module.exports = ${JSON.stringify(version)};\n`);
      writeFileSync(path.join(dir, 'README.md'), `# ${PKG}\n\nReturns **its version**.\n`);
      const r = await sandbox.run(['publish'], dir);
      if (r.code !== 0) throw new Error(`npm publish failed:\n${r.out}`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    sandbox?.dispose();
    await t?.close();
  });

  /** axe-core in the page: violations of serious or critical impact, as "rule: target". */
  async function audit(page: Page, name: string): Promise<void> {
    // Evaluated through the debugging protocol: the page's CSP (rightly) refuses an inline script tag.
    await page.evaluate(AXE);
    // A string: the function runs in the page, whose globals the test's types do not know.
    const result = (await page.evaluate('axe.run()')) as AxeResult;
    const violations = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    axeResults[name] = violations;
    expect({ page: name, violations }).toEqual({ page: name, violations: [] });
  }

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    return context;
  }

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${t.url}/user/login`);
    await page.getByLabel('User name').fill(username);
    await page.getByLabel('Password').fill(password);
    await Promise.all([
      page.waitForURL((u) => !u.pathname.startsWith('/user/login')),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
  }

  it('shows anonymous visitors public packages only; a private package page is 404', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${t.url}/`);
    expect(new URL(page.url()).pathname).toBe('/explore/packages');
    await expect(page.getByRole('link', { name: PKG })).toBeTruthy();
    expect(await page.getByRole('link', { name: PKG }).count()).toBe(1);
    expect(await page.getByText('classified').count()).toBe(0);
    await audit(page, 'explore (anonymous)');
    const hidden = await page.goto(`${t.url}/vault/-/packages/generic/classified/1.0.0`);
    expect(hidden!.status()).toBe(404);
    await audit(page, '404');
    await page.goto(`${t.url}/user/login`);
    await audit(page, 'sign in');
    await context.close();
  });

  it('signs in, finds the npm package, copies its install command and runs it with npm', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, 'alice', PASSWORD);
    await page.goto(`${t.url}/explore/packages`);
    await page.getByLabel('Name').fill(PKG.slice(0, 14));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=/);
    await audit(page, 'explore (signed in, searched)');
    await page.getByRole('link', { name: PKG }).click();
    await page.waitForURL(new RegExp(`/alice/-/packages/npm/${PKG}$`));
    expect(await page.locator('h1').textContent()).toContain('1.1.0');
    expect(await page.locator('.readme strong').textContent()).toBe('its version');
    await audit(page, 'package page');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The snippets: copy each with its button; the clipboard holds what the page shows.
    const snippets = page.locator('section.snippet');
    const count = await snippets.count();
    expect(count).toBeGreaterThan(0);
    const copied: string[] = [];
    for (let i = 0; i < count; i++) {
      await snippets.nth(i).getByRole('button', { name: /Copy/ }).click();
      // The button says so once the clipboard write has resolved (a promise: poll for it).
      // (Its accessible name stays "Copy: <title>"; the visible text changes.)
      await snippets.nth(i).locator('button', { hasText: 'Copied' }).waitFor();
      const clip = (await page.evaluate('navigator.clipboard.readText()')) as string;
      expect(clip).toBe(await snippets.nth(i).locator('code').textContent());
      copied.push(clip);
    }
    const install = copied.find((c) => /^\s*npm (install|i) /m.test(c));
    expect(install).toBeDefined();
    const npmrc = copied.find((c) => /registry=/.test(c) && !/^\s*npm /m.test(c));

    // A clean machine: its own HOME and cache, no config but the snippet's .npmrc line.
    const home = mkdtempSync(path.join(os.tmpdir(), 'wharf-web-npm-'));
    try {
      const project = path.join(home, 'app');
      mkdirSync(project);
      writeFileSync(
        path.join(project, 'package.json'),
        '{"name":"app","version":"0.0.0","private":true}',
      );
      if (npmrc) writeFileSync(path.join(project, '.npmrc'), `${npmrc}\n`);
      const r = await sh(install!, project, {
        HOME: home,
        npm_config_cache: path.join(home, 'cache'),
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      });
      expect({ code: r.code, out: r.out }).toEqual({ code: 0, out: expect.any(String) });
      const installed = JSON.parse(
        readFileSync(path.join(project, 'node_modules', PKG, 'package.json'), 'utf8'),
      );
      expect(installed.version).toBe('1.1.0');
      const lock = JSON.parse(readFileSync(path.join(project, 'package-lock.json'), 'utf8'));
      expect(lock.packages[`node_modules/${PKG}`].resolved.startsWith(t.url)).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    await context.close();
  });

  it('creates a token that works on the API, deletes a version, and signs out', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, 'alice', PASSWORD);
    await page.goto(`${t.url}/user/settings/applications`);
    await audit(page, 'settings');
    await page.getByLabel('Token name').fill('from-the-browser');
    await page.getByLabel('package').selectOption('write:package');
    await page.getByLabel('user', { exact: true }).selectOption('read:user');
    await page.getByRole('button', { name: 'Generate token' }).click();
    const secret = (await page.locator('#new-token').textContent())!.trim();
    expect(secret).toMatch(/^[0-9a-f]{40}$/);
    await audit(page, 'settings (token created)');
    const me = await request(t.url).get('/api/v1/user').set('Authorization', `token ${secret}`);
    expect(me.status).toBe(200);
    expect(me.body.login).toBe('alice');

    await page.goto(`${t.url}/alice/-/packages/npm/${PKG}/1.0.0`);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete version 1.0.0' }).click();
    await page.waitForURL(new RegExp(`/alice/-/packages/npm/${PKG}$`));
    expect(await page.locator('.versions li').count()).toBe(1);
    const gone = await request(t.url).get(`/api/packages/alice/npm/${PKG}`).expect(200);
    expect(Object.keys(gone.body.versions)).toEqual(['1.1.0']);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/explore\/packages$/);
    expect(await page.getByRole('link', { name: 'Sign in' }).count()).toBe(1);
    await page.goto(`${t.url}/user/settings/applications`);
    expect(new URL(page.url()).pathname).toBe('/user/login');
    await context.close();
  });

  it('answers 404 for a private package to a signed-in non-member; the admin page passes axe', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, 'bob', PASSWORD);
    const res = await page.goto(`${t.url}/vault/-/packages/generic/classified/1.0.0`);
    expect(res!.status()).toBe(404);
    await page.goto(`${t.url}/alice/-/packages`);
    await audit(page, 'owner packages');
    await context.close();
    const admin = await newContext();
    const adminPage = await admin.newPage();
    await signIn(adminPage, ADMIN.username, ADMIN.password);
    await adminPage.goto(`${t.url}/admin`);
    await audit(adminPage, 'admin');
    await adminPage.goto(`${t.url}/vault/-/packages/generic/classified`);
    await audit(adminPage, 'generic package page');
    await adminPage.setViewportSize({ width: 390, height: 844 });
    await adminPage.goto(`${t.url}/alice/-/packages/npm/${PKG}`);
    // a phone: nothing wider than the screen but the tables' own scrolling boxes
    const overflow = (await adminPage.evaluate('document.documentElement.scrollWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(390);
    await admin.close();
  });

  it('must change the password at first sign-in, in the browser too', async () => {
    await request(t.url)
      .post('/api/v1/admin/users')
      .auth(ADMIN.username, ADMIN.password)
      .send({
        username: 'fresh',
        email: 'f@example.com',
        password: PASSWORD,
        must_change_password: true,
      })
      .expect(201);
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, 'fresh', PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/user/settings/change_password');
    await audit(page, 'change password');
    await page.getByLabel('New password', { exact: true }).fill('fresh-password-789');
    await page.getByLabel('New password, again').fill('fresh-password-789');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(/\/explore\/packages$/);
    await context.close();
  });
});

interface AxeResult {
  violations: { id: string; impact?: string; nodes: { target: string[] }[] }[];
}

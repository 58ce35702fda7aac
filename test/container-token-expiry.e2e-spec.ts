import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createUser, PASSWORD } from './support/clients/accounts';
import { startTestApp, TestApp } from './support/test-app';

/** A registry token exchanged for an access token never outlives that access token. */
describeEachBackend('container token lifetime', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    await createUser(t.url, 'shortlived');
  });
  afterAll(async () => t?.close());

  const tokenFor = (secret: string) =>
    request(t.url)
      .get('/v2/token?service=container_registry&scope=repository:shortlived/app:pull,push')
      .auth('shortlived', secret)
      .expect(200);

  it('is capped at the access token expiry, and a password sign-in gets the full lifetime', async () => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const created = await request(t.url)
      .post('/api/v1/users/shortlived/tokens')
      .auth('shortlived', PASSWORD)
      .send({ name: 'ci-short', scopes: ['write:package'], expires_at: expiresAt })
      .expect(201);
    const short = await tokenFor(created.body.sha1);
    expect(short.body.expires_in).toBeGreaterThan(0);
    expect(short.body.expires_in).toBeLessThanOrEqual(60);
    const claims = JSON.parse(Buffer.from(short.body.token.split('.')[1], 'base64url').toString());
    expect(claims.exp).toBeLessThanOrEqual(Math.ceil(Date.parse(expiresAt) / 1000));
    const full = await tokenFor(PASSWORD);
    expect(full.body.expires_in).toBe(300);
  });
});

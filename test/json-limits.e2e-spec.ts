import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { ADMIN, ADMIN_ENV } from './support/clients/accounts';
import { startTestApp, TestApp } from './support/test-app';

/** JSON bodies parse under a size and a depth limit: hostile nesting is a 400, never a 500 (issue 11). */
describeEachBackend('JSON body limits', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
  });
  afterAll(async () => t?.close());

  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('management API: a body nested 100,000 levels deep is a 400 that says why', async () => {
    const res = await request(t.url)
      .post('/api/v1/admin/users')
      .auth(ADMIN.username, ADMIN.password)
      .set('content-type', 'application/json')
      .send(`{"username":${deep(100_000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/nested deeper than 64 levels/);
  });

  it('management API: an ordinary body still works after a refused one', async () => {
    await request(t.url)
      .post('/api/v1/admin/users')
      .auth(ADMIN.username, ADMIN.password)
      .send({ username: 'jsonok', email: 'jsonok@example.com', password: 'pw-123456789' })
      .expect(201);
  });

  it('npm: a dist-tag body nested 500 levels deep (within the size limit) is a 400', async () => {
    const res = await request(t.url)
      .put('/api/packages/root/npm/-/package/left-pad/dist-tags/beta')
      .auth(ADMIN.username, ADMIN.password)
      .set('content-type', 'application/json')
      .send(deep(500));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/nested deeper than 64 levels/);
  });
});

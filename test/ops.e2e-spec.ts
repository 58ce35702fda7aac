import request from 'supertest';
import { describeEachBackend } from './support/backends';
import { startTestApp, TestApp } from './support/test-app';

describeEachBackend('operational endpoints', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /healthz answers while the process is alive', async () => {
    const res = await request(t.url).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports database and storage reachable', async () => {
    const res = await request(t.url).get('/readyz').expect(200);
    expect(res.body).toEqual({ ready: true, database: 'ok', storage: 'ok' });
  });

  it('GET /metrics serves Prometheus text with request counters and the blob gauge', async () => {
    await request(t.url).get('/healthz').expect(200);
    const res = await request(t.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /wharf_http_requests_total\{method="GET",route="\/healthz",format="none",status="200"\} \d+/,
    );
    expect(res.text).toMatch(/wharf_http_request_duration_seconds_bucket/);
    expect(res.text).toMatch(/^wharf_blobs_stored 0$/m);
  });

  it('every response carries a request id; a sane incoming one is kept', async () => {
    const res = await request(t.url).get('/healthz').set('X-Request-Id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    const other = await request(t.url)
      .get('/healthz')
      .set('X-Request-Id', 'bad id with spaces')
      .expect(200);
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('unknown routes are a plain-text 404', async () => {
    const res = await request(t.url).get('/no/such/route').expect(404);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });
});

// `helm test`: run inside the cluster by the test pod, with the Service's addresses.
const { WHARF_URL, WHARF_METRICS_URL, WHARF_BASE_URL } = process.env;
const checks = [
  ['GET /healthz on the http port', `${WHARF_URL}/healthz`, (r) => r.status === 200],
  ['GET /readyz on the metrics port', `${WHARF_METRICS_URL}/readyz`, (r) => r.status === 200],
  ['GET /metrics on the metrics port', `${WHARF_METRICS_URL}/metrics`, (r) => r.status === 200],
  ['no /metrics on the public http port', `${WHARF_URL}/metrics`, (r) => r.status === 404],
  ['no /readyz on the public http port', `${WHARF_URL}/readyz`, (r) => r.status === 404],
  [
    `container registry challenge with the realm ${WHARF_BASE_URL}/v2/token`,
    `${WHARF_URL}/v2/`,
    (r) =>
      r.status === 401 &&
      (r.headers.get('www-authenticate') || '').includes(`realm="${WHARF_BASE_URL}/v2/token"`),
  ],
];
(async () => {
  let failed = 0;
  for (const [name, url, ok] of checks) {
    let res;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(10000) });
      await res.arrayBuffer();
    } catch (err) {
      res = undefined;
      console.log(`FAIL ${name}: ${err.cause?.code || err.message}`);
      failed++;
      continue;
    }
    const good = ok(res);
    console.log(`${good ? 'ok  ' : 'FAIL'} ${name} (${res.status})`);
    if (!good) failed++;
  }
  process.exit(failed ? 1 : 0);
})();

/**
 * The OCI half of the comparison (issue 12): the same loads against CNCF distribution 2.8
 * (no auth) and Wharf (its authentication on: the token flow, HTTP Basic with an access
 * token, HTTP Basic with a password), both on loopback, in one run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Row } from './compare-types';
import { BenchServer, startDistribution, startWharf } from './bench-servers';
import { accelLocation, findNginx, proxyLocation, startNginx } from '../test/support/nginx';
import {
  call,
  CallResult,
  digestOf,
  expectStatus,
  forSeconds,
  generated,
  MiB,
  pool,
  pull,
  pushChunked,
  pushImage,
  pushWhole,
  Target,
} from './oci-load';

export interface OciOptions {
  /** bytes of the large blob (512 MiB; --quick: 32 MiB) */
  size: number;
  chunk: number;
  smallCount: number;
  smallSize: number;
  seconds: number;
  /** bytes of the layer of the memory check (2 GiB); 0 skips it */
  bigLayer: number;
}

export const FULL: OciOptions = {
  size: 512 * MiB,
  chunk: 16 * MiB,
  smallCount: 2000,
  smallSize: 4096,
  seconds: 10,
  bigLayer: 2048 * MiB,
};

export const QUICK: OciOptions = {
  size: 32 * MiB,
  chunk: 4 * MiB,
  smallCount: 200,
  smallSize: 4096,
  seconds: 2,
  bigLayer: 64 * MiB,
};

const PASSWORD = 'bench-password-123';
const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

type AuthMode = 'token flow' | 'Basic + access token' | 'Basic + password';

/** Wharf's user `bench` with an access token, and an Authorization for each way a client signs in. */
async function wharfAuth(wharf: BenchServer): Promise<{
  modes: Record<AuthMode, () => string>;
  stop: () => void;
}> {
  const admin = basic('root', 'root-password-123');
  const json = { 'Content-Type': 'application/json' };
  let r = await call(
    wharf.url,
    'POST',
    '/api/v1/admin/users',
    admin,
    Buffer.from(
      JSON.stringify({ username: 'bench', email: 'bench@example.com', password: PASSWORD }),
    ),
    json,
  );
  expectStatus(r, 201, 'create user');
  r = await call(
    wharf.url,
    'POST',
    '/api/v1/users/bench/tokens',
    basic('bench', PASSWORD),
    Buffer.from(JSON.stringify({ name: 'bench', scopes: ['write:package'] })),
    json,
  );
  expectStatus(r, 201, 'create token');
  const accessToken = (JSON.parse(r.text) as { sha1: string }).sha1;
  // The token flow as docker runs it: Basic with the access token at /v2/token, then the JWT.
  const fetchJwt = async () => {
    const t = await call(
      wharf.url,
      'GET',
      '/v2/token?service=container_registry&scope=repository:bench/x:pull,push',
      basic('bench', accessToken),
    );
    expectStatus(t, 200, 'token');
    return (JSON.parse(t.text) as { token: string }).token;
  };
  let jwt = await fetchJwt();
  // The JWT lives 300 s; a full run is longer.
  const refresh = setInterval(() => void fetchJwt().then((t) => (jwt = t)), 120_000);
  return {
    modes: {
      'token flow': () => `Bearer ${jwt}`,
      'Basic + access token': () => basic('bench', accessToken),
      'Basic + password': () => basic('bench', PASSWORD),
    },
    stop: () => clearInterval(refresh),
  };
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

async function timed(work: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

/** The large-blob loads on one target: MB/s of the monolithic push, the chunked push and the pull. */
async function largeBlobs(t: Target, o: OciOptions, label: string) {
  try {
    return await largeBlobLoads(t, o, label);
  } catch (err) {
    throw new Error(`large blobs on ${label === 'd' ? 'distribution' : 'Wharf'}: ${err}`, {
      cause: err,
    });
  }
}

async function largeBlobLoads(t: Target, o: OciOptions, label: string) {
  const mono = await digestOf(`mono-${label}`, o.size);
  const chunked = await digestOf(`chunked-${label}`, o.size);
  const pushMs = await timed(() =>
    pushWhole(t, 'big', mono, o.size, () => generated(`mono-${label}`, o.size)),
  );
  const chunkMs = await timed(() =>
    pushChunked(t, 'big', `chunked-${label}`, chunked, o.size, o.chunk),
  );
  let pulled = 0;
  const pullMs = await timed(async () => void (pulled = await pull(t, 'big', mono)));
  if (pulled !== o.size) throw new Error(`${label}: pulled ${pulled} bytes of ${o.size}`);
  return {
    digest: mono,
    push: mbps(o.size, pushMs),
    chunked: mbps(o.size, chunkMs),
    pull: mbps(o.size, pullMs),
  };
}

/** Small blobs per second: each a POST and a PUT with the body, `8` at a time. */
async function smallBlobs(t: Target, o: OciOptions, seed: string): Promise<number> {
  const bodies = Array.from({ length: o.smallCount }, (_, i) =>
    Buffer.from(
      createHash('sha512')
        .update(`${seed}-${i}`)
        .digest('hex')
        .repeat(Math.ceil(o.smallSize / 128)),
    ).subarray(0, o.smallSize),
  );
  const digests = bodies.map((b) => `sha256:${createHash('sha256').update(b).digest('hex')}`);
  const ms = await timed(() =>
    pool(o.smallCount, 8, (i) =>
      pushWhole(t, 'small', digests[i], bodies[i].length, () => bodies[i]),
    ),
  );
  return o.smallCount / (ms / 1000);
}

/** Manifest GETs per second by tag, 16 at a time. */
async function manifestGets(t: Target, o: OciOptions): Promise<number> {
  const accept =
    'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  const n = await forSeconds(o.seconds, 16, async () => {
    const r = await call(
      t.base,
      'GET',
      `/v2/${t.repo('img')}/manifests/latest`,
      t.auth?.(),
      undefined,
      {
        Accept: accept,
      },
    );
    expectStatus(r, 200, 'manifest GET');
  });
  return n / o.seconds;
}

const ACCEL_PREFIX = '/_wharf_blobs/';
/** Pulls of each kind in the nginx rows; the best counts (a loaded machine only slows one down). */
const TURNS = 5;

/**
 * One GET of `url` with curl into /dev/null: the bytes and the MB/s curl measured. The
 * Node client of the other rows tops out below what nginx sends on loopback, so these
 * rows use curl (Authorization on stdin, never in argv); without curl, the Node client.
 */
function curlGet(url: string, authorization?: string): Promise<{ bytes: number; rate: number }> {
  return new Promise((resolve, reject) => {
    const args = [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_download} %{speed_download}',
    ];
    const child = spawn('curl', [...args, ...(authorization ? ['-H', '@-'] : []), url], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.stdin.end(authorization ? `Authorization: ${authorization}\n` : '');
    child.on('error', reject);
    child.on('exit', (code) => {
      const [status, size, speed] = out.trim().split(' ').map(Number);
      if (code !== 0 || status !== 200) return reject(new Error(`curl ${url}: ${out.trim()}`));
      resolve({ bytes: size, rate: speed / 1e6 });
    });
  });
}

const hasCurl = () => spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * The large-blob pull with nginx in front of Wharf (REGISTRY_FS_ACCEL_REDIRECT, a second
 * Wharf), against nginx sending the same file by itself (sendfile, no Wharf): the
 * "nginx sendfile" figure issue 12 measures pulls against — and Wharf's own streamed
 * pull (`streamed`: the plain Wharf and a blob it holds) against the same figure. Each
 * the best of TURNS pulls, taken in turns so all see the same machine load. Without
 * nginx installed the rows are left out, with a note saying why.
 */
async function nginxRows(
  o: OciOptions,
  streamed: { target: Target; digest: string },
  sizeLabel: string,
  log: (line: string) => void,
): Promise<{ rows: Row[]; notes: string[] }> {
  const found = findNginx();
  if (!found.available) {
    const why = `nginx rows skipped: ${found.missing} is not installed`;
    log(why);
    return { rows: [], notes: [why] };
  }
  const curl = hasCurl();
  const client = curl ? 'curl' : 'Node client';
  log(`large blob pull through nginx (X-Accel-Redirect) and nginx sendfile (${client}) …`);
  const wharf = await startWharf({ REGISTRY_FS_ACCEL_REDIRECT: ACCEL_PREFIX });
  const blobRoot = path.join(wharf.env.REGISTRY_DATA_DIR, 'blobs');
  const nginx = await startNginx([
    ...proxyLocation(wharf.url),
    ...accelLocation(ACCEL_PREFIX, blobRoot),
    // the reference: the same file, sent by nginx alone
    `location /_direct/ { alias ${blobRoot}/; }`,
  ]);
  const auth = await wharfAuth(wharf);
  try {
    const direct: Target = {
      base: wharf.url,
      repo: (n) => `bench/${n}`,
      auth: auth.modes['token flow'],
    };
    const digest = await digestOf('mono-accel', o.size);
    await pushWhole(direct, 'big', digest, o.size, () => generated('mono-accel', o.size));
    const answer = await call(wharf.url, 'GET', `/v2/bench/big/blobs/${digest}`, direct.auth!());
    const target = answer.headers['x-accel-redirect'];
    if (typeof target !== 'string' || answer.bytes !== 0)
      throw new Error(`Wharf did not answer with X-Accel-Redirect: ${answer.status}`);
    const get = async (what: string, url: string, authorization?: string) => {
      let r: { bytes: number; rate: number };
      if (curl) r = await curlGet(url, authorization);
      else {
        let got: CallResult | undefined;
        const ms = await timed(async () => void (got = await call(url, 'GET', '', authorization)));
        expectStatus(got!, 200, what);
        r = { bytes: got!.bytes, rate: mbps(got!.bytes, ms) };
      }
      if (r.bytes !== o.size) throw new Error(`${what}: ${r.bytes} bytes of ${o.size}`);
      return r.rate;
    };
    const sendfileUrl = `${nginx.url}/_direct/${target.slice(ACCEL_PREFIX.length)}`;
    const accelUrl = `${nginx.url}/v2/bench/big/blobs/${digest}`;
    const streamUrl = `${streamed.target.base}/v2/${streamed.target.repo('big')}/blobs/${streamed.digest}`;
    let sendfile = 0;
    let accel = 0;
    let stream = 0;
    for (let i = 0; i < TURNS; i++) {
      sendfile = Math.max(sendfile, await get('nginx sendfile', sendfileUrl));
      accel = Math.max(accel, await get('nginx + X-Accel-Redirect', accelUrl, direct.auth!()));
      stream = Math.max(stream, await get('Wharf stream', streamUrl, streamed.target.auth?.()));
    }
    const reference = `nginx sendfile, same file (${client})`;
    const row = (measure: string, value: number): Row => ({
      measure,
      reference,
      referenceValue: sendfile,
      wharfValue: value,
      unit: 'MB/s',
      higherIsBetter: true,
    });
    return {
      rows: [
        row(`${sizeLabel} pull via nginx + X-Accel-Redirect (token, best of ${TURNS})`, accel),
        row(`${sizeLabel} pull streamed by Wharf (token, best of ${TURNS})`, stream),
      ],
      notes: [
        `pull ÷ nginx sendfile (${client}, best of ${TURNS}; goal ≥ 0.8×): nginx + X-Accel-Redirect ` +
          `${(accel / sendfile).toFixed(2)}× (${accel.toFixed(0)} ÷ ${sendfile.toFixed(0)} MB/s), ` +
          `Wharf streaming ${(stream / sendfile).toFixed(2)}× (${stream.toFixed(0)} MB/s)`,
      ],
    };
  } finally {
    auth.stop();
    await nginx.stop();
    await wharf.stop();
  }
}

export interface OciComparison {
  rows: Row[];
  /** notes printed under the table (the memory check) */
  notes: string[];
}

export async function runOciComparison(
  o: OciOptions,
  log: (line: string) => void,
): Promise<OciComparison> {
  const dist = await startDistribution();
  const wharf = await startWharf();
  const auth = await wharfAuth(wharf);
  const rows: Row[] = [];
  const notes: string[] = [];
  const ref = dist.name;
  const row = (measure: string, r: number, w: number, unit: string): Row => ({
    measure,
    reference: ref,
    referenceValue: r,
    wharfValue: w,
    unit,
    higherIsBetter: true,
  });
  try {
    const d: Target = { base: dist.url, repo: (n) => `bench/${n}` };
    const w = (mode: AuthMode): Target => ({
      base: wharf.url,
      repo: (n) => `bench/${n}`,
      auth: auth.modes[mode],
    });
    const sizeLabel = `${o.size / MiB} MiB blob`;
    // Wharf's peak RSS so far, after each phase: shows which load sets the peak
    const rssSoFar = (phase: string) =>
      notes.push(`Wharf peak RSS after ${phase}: ${(wharf.peakRss() / MiB).toFixed(0)} MiB`);
    rssSoFar('start');

    log(`large blobs (${sizeLabel}) …`);
    const dl = await largeBlobs(d, o, 'd');
    const wl = await largeBlobs(w('token flow'), o, 'w');
    rows.push(row(`${sizeLabel}, monolithic push (token)`, dl.push, wl.push, 'MB/s'));
    rows.push(
      row(
        `${sizeLabel}, ${o.chunk / MiB} MiB chunked push (token)`,
        dl.chunked,
        wl.chunked,
        'MB/s',
      ),
    );
    rows.push(row(`${sizeLabel} pull (token)`, dl.pull, wl.pull, 'MB/s'));
    rssSoFar('large blobs');
    const viaNginx = await nginxRows(
      o,
      { target: w('token flow'), digest: wl.digest },
      sizeLabel,
      log,
    );
    rows.push(...viaNginx.rows);
    notes.push(...viaNginx.notes);

    log(`small blobs (${o.smallCount} × ${o.smallSize / 1024} KiB) …`);
    const ds = await smallBlobs(d, o, 'd');
    for (const mode of Object.keys(auth.modes) as AuthMode[]) {
      const ws = await smallBlobs(w(mode), o, `w-${mode}`);
      rows.push(
        row(
          `${o.smallCount} × ${o.smallSize / 1024} KiB blobs, 8 at a time (${mode})`,
          ds,
          ws,
          '/s',
        ),
      );
    }

    rssSoFar('small blobs');
    log('manifest GETs …');
    await pushImage(d, 'img', 'latest');
    await pushImage(w('token flow'), 'img', 'latest');
    const dm = await manifestGets(d, o);
    for (const mode of Object.keys(auth.modes) as AuthMode[]) {
      const wm = await manifestGets(w(mode), o);
      rows.push(row(`manifest GET, 16 at a time (${mode})`, dm, wm, '/s'));
    }

    rssSoFar('manifest GETs');
    rows.push({
      measure: 'server peak RSS, OCI loads',
      reference: ref,
      referenceValue: dist.peakRss() / MiB,
      wharfValue: wharf.peakRss() / MiB,
      unit: 'MiB',
      higherIsBetter: false,
    });

    if (o.bigLayer > 0) {
      log(`memory: a ${o.bigLayer / MiB} MiB layer pushed and pulled on Wharf …`);
      const before = wharf.peakRss();
      const t = w('token flow');
      const digest = await digestOf('huge', o.bigLayer);
      const pushMs = await timed(() =>
        pushWhole(t, 'huge', digest, o.bigLayer, () => generated('huge', o.bigLayer)),
      );
      const pullMs = await timed(async () => {
        if ((await pull(t, 'huge', digest)) !== o.bigLayer) throw new Error('huge: short pull');
      });
      notes.push(
        `${o.bigLayer / MiB} MiB layer on Wharf: push ${mbps(o.bigLayer, pushMs).toFixed(0)} MB/s, ` +
          `pull ${mbps(o.bigLayer, pullMs).toFixed(0)} MB/s; Wharf peak RSS ${(before / MiB).toFixed(0)} MiB before, ` +
          `${(wharf.peakRss() / MiB).toFixed(0)} MiB after (goal ≤ 200 MiB)`,
      );
    }
  } finally {
    auth.stop();
    await dist.stop();
    await wharf.stop();
  }
  return { rows, notes };
}

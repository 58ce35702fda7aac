import { createHash } from 'node:crypto';
import http from 'node:http';
import request from 'supertest';

/** Helpers for driving /v2 over HTTP the way registry clients do. */

export const sha256 = (data: Buffer | string) =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

export function challengeFor(url: string): string {
  return `Bearer realm="${url}/v2/token",service="container_registry",scope="*"`;
}

/** Every header line as sent (duplicates kept), to prove a single WWW-Authenticate. */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: [string, string][]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        const pairs: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          pairs.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
        resolve({ status: res.statusCode!, headers: pairs, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A registry token the way docker does it: GET /v2/token with Basic, or anonymous. */
export async function registryToken(url: string, auth?: [string, string]): Promise<string> {
  const r = request(url)
    .get('/v2/token')
    .query({ service: 'container_registry', scope: 'repository:x:pull,push' });
  const res = await (auth ? r.auth(auth[0], auth[1]) : r).expect(200);
  return res.body.token as string;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Monolithic blob upload (POST ?digest=); returns the digest. */
export async function pushBlob(
  url: string,
  name: string,
  token: string,
  data: Buffer,
): Promise<string> {
  const digest = sha256(data);
  await request(url)
    .post(`/v2/${name}/blobs/uploads/`)
    .query({ digest })
    .set(bearer(token))
    .set('Content-Type', 'application/octet-stream')
    .send(data)
    .expect(201);
  return digest;
}

export interface PushedImage {
  manifest: Buffer;
  digest: string;
  config: Buffer;
  layers: string[];
}

/** An OCI image (config + layers) pushed under `ref` (a tag or its own digest when ref is undefined). */
export async function pushImage(
  url: string,
  name: string,
  token: string,
  ref: string | undefined,
  layers: Buffer[],
  extra: {
    mediaType?: string;
    configType?: string;
    layerType?: string;
    platform?: string;
    subject?: object;
    artifactType?: string;
  } = {},
): Promise<PushedImage> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: extra.platform ?? 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const configDigest = await pushBlob(url, name, token, config);
  const layerDigests: string[] = [];
  for (const l of layers) layerDigests.push(await pushBlob(url, name, token, l));
  const mediaType = extra.mediaType ?? OCI_MANIFEST;
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: extra.configType ?? (mediaType === DOCKER_MANIFEST ? DOCKER_CONFIG : OCI_CONFIG),
      digest: configDigest,
      size: config.length,
    },
    layers: layers.map((l, i) => ({
      mediaType: extra.layerType ?? OCI_LAYER,
      digest: layerDigests[i],
      size: l.length,
    })),
  };
  if (extra.subject) doc.subject = extra.subject;
  if (extra.artifactType) doc.artifactType = extra.artifactType;
  const manifest = Buffer.from(JSON.stringify(doc));
  const digest = sha256(manifest);
  await request(url)
    .put(`/v2/${name}/manifests/${ref ?? digest}`)
    .set(bearer(token))
    .set('Content-Type', mediaType)
    .send(manifest.toString()) // superagent would JSON-encode a Buffer under a +json type
    .expect((res) => {
      if (res.status !== 201) throw new Error(`manifest push: ${res.status} ${res.text}`);
    });
  return { manifest, digest, config, layers: layerDigests };
}

/** Reads a response body as bytes whatever its Content-Type. */
export function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

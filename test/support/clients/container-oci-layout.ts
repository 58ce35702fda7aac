import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Writes an OCI image layout directory (image-spec `oci-layout` + `index.json` + blobs)
 * for skopeo's and podman's `oci:` transport: a single-platform image `v1` and a
 * multi-platform index `multi`, with gzip tar layers and correct diff_ids.
 */
export interface LayoutImage {
  ref: string;
  digest: string;
  mediaType: string;
}

const hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A ustar archive of regular files (enough for a layer). */
export function tarOf(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    const put = (value: string, offset: number, length: number) =>
      header.write(value, offset, length, 'ascii');
    put(name, 0, 100);
    put('0000644\0', 100, 8);
    put('0000000\0', 108, 8);
    put('0000000\0', 116, 8);
    put(body.length.toString(8).padStart(11, '0') + '\0', 124, 12);
    put('14000000000\0', 136, 12);
    put('        ', 148, 8);
    put('0', 156, 1);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    let sum = 0;
    for (const byte of header) sum += byte;
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function writeOciLayout(dir: string): {
  v1: LayoutImage;
  multi: LayoutImage;
  blob: (digest: string) => Buffer;
} {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const store = new Map<string, Buffer>();
  const add = (data: Buffer) => {
    const h = hex(data);
    writeFileSync(path.join(dir, 'blobs', 'sha256', h), data);
    store.set(`sha256:${h}`, data);
    return { digest: `sha256:${h}`, size: data.length };
  };
  const image = (arch: string, layerFiles: Record<string, string>[]) => {
    const tars = layerFiles.map((f) => tarOf(f));
    const layers = tars.map((t) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      ...add(gzipSync(t)),
    }));
    const config = add(
      Buffer.from(
        JSON.stringify({
          architecture: arch,
          os: 'linux',
          config: { Cmd: ['/hello'] },
          rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${hex(t)}`) },
          history: tars.map((_, i) => ({ created_by: `layer ${i}` })),
        }),
      ),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    );
    return {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...add(manifest),
      platform: { os: 'linux', architecture: arch },
    };
  };
  const v1 = image('amd64', [
    { hello: 'hello from layer one\n' },
    { 'etc/motd': 'layer two\n' },
    { 'data/x': 'x'.repeat(70000) },
  ]);
  const amd = image('amd64', [{ 'bin/app': 'amd64 app\n' }, { 'etc/arch': 'amd64\n' }]);
  const arm = image('arm64', [{ 'bin/app': 'arm64 app\n' }, { 'etc/arch': 'arm64\n' }]);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [amd, arm].map(({ mediaType, digest, size, platform }) => ({
        mediaType,
        digest,
        size,
        platform,
      })),
    }),
  );
  const multi = { mediaType: 'application/vnd.oci.image.index.v1+json', ...add(index) };
  const ref = (r: string, d: { mediaType: string; digest: string; size: number }) => ({
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    annotations: { 'org.opencontainers.image.ref.name': r },
  });
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [ref('v1', v1), ref('multi', multi)] }),
  );
  return {
    v1: { ref: 'v1', digest: v1.digest, mediaType: v1.mediaType },
    multi: { ref: 'multi', digest: multi.digest, mediaType: multi.mediaType },
    blob: (d) => store.get(d)!,
  };
}

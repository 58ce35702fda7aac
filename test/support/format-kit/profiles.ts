import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { buildRpm } from '@wharf/packages-core/testing/rpmbuild';
import { crateArchive, crateMetadata, publishBody } from '../clients/cargo';
import { craftedCookbook, knifeCookbook, shareBody } from '../clients/chef';
import { composerArchive, libraryEntries } from '../clients/composer';
import { conanTgz } from '../clients/conan';
import { challengeFor, registryToken, sha256 } from '../clients/container';
import { descriptionText, rPackageArchive } from '../clients/cran';
import { arMember, controlText, handMadeDeb } from '../clients/debian';
import { buildApk } from '../clients/alpine';
import { npmTarball, publishDocument } from '../clients/npm';
import { nupkg, nuspec } from '../clients/nuget';
import { gemspecYaml, gemWith } from '../clients/rubygems';
import { buildConda, buildTarBz2, condaIndex } from '../clients/conda';
import { renumberRpm } from '../clients/alt';
import { handMadePackage, pkgInfo } from '../clients/arch';
import { buildRpmSet, hasRpmbuild, rpmBytes, RpmSpecOptions, scratch } from '../clients/rpm';
import { sourceArchive, swiftPmPublishForm, zipOf } from '../clients/swift';
import { pubPackage } from '../clients/pub';
import { buildBox } from '../clients/vagrant';
import { coreEtag, FormatProfile, KitRequest, multipart } from '.';

/**
 * The profile of each landed format for the shared end-to-end kit: how to publish and
 * fetch an artifact. The kit runs the permission matrix, the refused-upload checks and
 * the download-header checks on both backends; the `format-kit-*.e2e-spec.ts` files each
 * run a share of these, so both Jest workers take part.
 */

const BASIC = () => 'Basic realm="Wharf"';
const pkgs = (owner: string, type: string) => `/api/packages/${owner}/${type}`;
/** Incompressible filler, so an archive holding it is as large as it. */
const filler = (limit: number) => randomBytes(limit + 16 * 1024);

async function tgz(entries: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(entries)) pack.entry({ name, mode: 0o644 }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const put = (path: string, body: Buffer, headers: Record<string, string> = {}): KitRequest => ({
  method: 'PUT',
  path,
  body,
  headers,
});

const generic: FormatProfile = {
  name: 'generic',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_GENERIC',
  challenge: BASIC,
  async artifact(owner, n) {
    const path = `${pkgs(owner, 'generic')}/kit/1.0.${n}/kit-${n}.bin`;
    const bytes = Buffer.from(`generic artifact ${n}`);
    return { upload: put(path, bytes), download: path, bytes, filename: `kit-${n}.bin` };
  },
  // A multipart Content-Type on a body that is no form: refused once the body has been read.
  async invalidUpload(owner, n) {
    return put(`${pkgs(owner, 'generic')}/kit/9.0.${n}/kit.bin`, Buffer.from('raw bytes'), {
      'Content-Type': 'multipart/form-data; boundary=kit',
    });
  },
  async oversizedUpload(owner, n, limit) {
    return put(`${pkgs(owner, 'generic')}/kit/9.1.${n}/big.bin`, filler(limit));
  },
  etag: coreEtag,
};

const maven: FormatProfile = {
  name: 'maven',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_MAVEN',
  challenge: BASIC,
  async artifact(owner, n) {
    const file = `kit-art-1.0.${n}.jar`;
    const path = `${pkgs(owner, 'maven')}/com/kit/kit-art/1.0.${n}/${file}`;
    const bytes = Buffer.from(`maven jar ${n}`);
    return { upload: put(path, bytes), download: path, bytes, filename: file };
  },
  async invalidUpload(owner, n) {
    return put(
      `${pkgs(owner, 'maven')}/com/kit/kit-art/9.0.${n}/kit-art-9.0.${n}.pom`,
      Buffer.from('<project><groupId>com.kit</groupId>'),
    );
  },
  async oversizedUpload(owner, n, limit) {
    return put(
      `${pkgs(owner, 'maven')}/com/kit/kit-art/9.1.${n}/kit-art-9.1.${n}.jar`,
      filler(limit),
    );
  },
  etag: coreEtag,
};

const chart = (version: string, extra: Record<string, string | Buffer> = {}) =>
  tgz({
    'kit-chart/Chart.yaml': `apiVersion: v2\nname: kit-chart\nversion: ${version}\n`,
    ...extra,
  });

const helm: FormatProfile = {
  name: 'helm',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_HELM',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = await chart(`1.0.${n}`);
    const file = `kit-chart-1.0.${n}.tgz`;
    return {
      upload: { method: 'POST', path: `${pkgs(owner, 'helm')}/api/charts`, body: bytes },
      download: `${pkgs(owner, 'helm')}/${file}`,
      bytes,
      filename: file,
    };
  },
  async invalidUpload(owner) {
    return {
      method: 'POST',
      path: `${pkgs(owner, 'helm')}/api/charts`,
      body: Buffer.from('no chart'),
    };
  },
  async oversizedUpload(owner, n, limit) {
    const body = await chart(`9.1.${n}`, { 'kit-chart/files/big.bin': filler(limit) });
    return { method: 'POST', path: `${pkgs(owner, 'helm')}/api/charts`, body };
  },
  etag: coreEtag,
};

const npmPublish = async (owner: string, version: string, extra: Record<string, Buffer> = {}) => {
  const tarball = await npmTarball({
    'package.json': JSON.stringify({ name: 'kit-pkg', version }),
    ...extra,
  });
  const doc = publishDocument({ name: 'kit-pkg', version }, tarball);
  return {
    tarball,
    request: put(`${pkgs(owner, 'npm')}/kit-pkg`, Buffer.from(JSON.stringify(doc)), {
      'Content-Type': 'application/json',
    }),
  };
};

const npm: FormatProfile = {
  name: 'npm',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_NPM',
  challenge: BASIC,
  async artifact(owner, n) {
    const { tarball, request } = await npmPublish(owner, `1.0.${n}`);
    return {
      upload: request,
      download: `${pkgs(owner, 'npm')}/kit-pkg/-/1.0.${n}/kit-pkg-1.0.${n}.tgz`,
      bytes: tarball,
      filename: `kit-pkg-1.0.${n}.tgz`,
    };
  },
  // An attachment that is not a gzip tarball.
  async invalidUpload(owner, n) {
    const doc = publishDocument({ name: 'kit-pkg', version: `9.0.${n}` }, Buffer.from('plain'));
    return put(`${pkgs(owner, 'npm')}/kit-pkg`, Buffer.from(JSON.stringify(doc)), {
      'Content-Type': 'application/json',
    });
  },
  async oversizedUpload(owner, n, limit) {
    return (await npmPublish(owner, `9.1.${n}`, { 'big.bin': filler(limit) })).request;
  },
  etag: coreEtag,
};

const pypiUpload = (owner: string, version: string, content: Buffer, digest?: string) => {
  const filename = `kit_pkg-${version}.tar.gz`;
  const form = multipart(
    {
      ':action': 'file_upload',
      protocol_version: '1',
      name: 'kit-pkg',
      version,
      filetype: 'sdist',
      metadata_version: '2.1',
      sha256_digest: digest ?? createHash('sha256').update(content).digest('hex'),
    },
    { field: 'content', filename, content },
  );
  return {
    filename,
    request: {
      method: 'POST',
      path: pkgs(owner, 'pypi'),
      body: form.body,
      headers: { 'Content-Type': form.contentType },
    },
  };
};

const pypi: FormatProfile = {
  name: 'pypi',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_PYPI',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = Buffer.from(`pypi sdist ${n}`);
    const { filename, request } = pypiUpload(owner, `1.0.${n}`, bytes);
    return {
      upload: request,
      download: `${pkgs(owner, 'pypi')}/files/kit-pkg/1.0.${n}/${filename}`,
      bytes,
      filename,
    };
  },
  // The declared sha256 is not the file's.
  async invalidUpload(owner, n) {
    return pypiUpload(owner, `9.0.${n}`, Buffer.from('sdist'), '0'.repeat(64)).request;
  },
  async oversizedUpload(owner, n, limit) {
    return pypiUpload(owner, `9.1.${n}`, filler(limit)).request;
  },
  etag: coreEtag,
};

const blobUpload = (owner: string, bytes: Buffer, digest = sha256(bytes)): KitRequest => ({
  method: 'POST',
  path: `/v2/${owner}/kit/blobs/uploads/?digest=${digest}`,
  body: bytes,
  headers: { 'Content-Type': 'application/octet-stream' },
});

const container: FormatProfile = {
  name: 'container',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_CONTAINER',
  challenge: challengeFor,
  async artifact(owner, n) {
    const bytes = Buffer.from(`container layer ${n}`);
    return {
      upload: blobUpload(owner, bytes),
      download: `/v2/${owner}/kit/blobs/${sha256(bytes)}`,
      bytes,
      // Served through core's download path: the stored file is named by its digest.
      filename: sha256(bytes),
    };
  },
  async invalidUpload(owner, n) {
    return blobUpload(owner, Buffer.from(`layer ${n}`), sha256('something else'));
  },
  async oversizedUpload(owner, n, limit) {
    return blobUpload(owner, filler(limit));
  },
  etag: (bytes) => `"${sha256(bytes)}"`,
  checksumHeaders: (bytes) => ({ 'docker-content-digest': sha256(bytes) }),
  async anonymousCredential(url) {
    return { Authorization: `Bearer ${await registryToken(url)}` };
  },
};

const gemPush = (owner: string, body: Buffer): KitRequest => ({
  method: 'POST',
  path: `${pkgs(owner, 'rubygems')}/api/v1/gems`,
  body,
  headers: { 'Content-Type': 'application/octet-stream' },
});

const rubygems: FormatProfile = {
  name: 'rubygems',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_RUBYGEMS',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = await gemWith(gemspecYaml('kit-gem', `1.0.${n}`));
    const file = `kit-gem-1.0.${n}.gem`;
    return {
      upload: gemPush(owner, bytes),
      download: `${pkgs(owner, 'rubygems')}/gems/${file}`,
      bytes,
      filename: file,
    };
  },
  // A gemspec carrying a Ruby object tag other than Gem::'s own.
  async invalidUpload(owner, n) {
    const yaml = gemspecYaml('kit-gem', `9.0.${n}`, 'x: !ruby/object:Gem::Installer\n  i: x\n');
    return gemPush(owner, await gemWith(yaml));
  },
  async oversizedUpload(owner, n, limit) {
    const gem = await gemWith(gemspecYaml('kit-gem', `9.1.${n}`), {
      extra: [{ name: 'big.bin', body: filler(limit).toString('latin1') }],
    });
    return gemPush(owner, gem);
  },
  etag: coreEtag,
};

const cargoPublish = async (owner: string, version: string, options = {}) => {
  const crate = await crateArchive('kit-crate', version, options);
  return {
    crate,
    request: put(
      `${pkgs(owner, 'cargo')}/api/v1/crates/new`,
      publishBody(crateMetadata('kit-crate', version), crate),
    ),
  };
};

const cargo: FormatProfile = {
  name: 'cargo',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_CARGO',
  challenge: BASIC,
  uploadedStatus: 200,
  async artifact(owner, n) {
    const { crate, request } = await cargoPublish(owner, `1.0.${n}`);
    return {
      upload: request,
      download: `${pkgs(owner, 'cargo')}/api/v1/crates/kit-crate/1.0.${n}/download`,
      bytes: crate,
      filename: `kit-crate-1.0.${n}.crate`,
    };
  },
  // The crate's Cargo.toml names another version than the publish metadata.
  async invalidUpload(owner, n) {
    const manifest = { name: 'kit-crate', version: '0.0.1' };
    return (await cargoPublish(owner, `9.0.${n}`, { manifest })).request;
  },
  async oversizedUpload(owner, n, limit) {
    return (await cargoPublish(owner, `9.1.${n}`, { files: { 'big.bin': filler(limit) } })).request;
  },
  etag: coreEtag,
};

const composerPut = (owner: string, version: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'composer')}?version=${version}`, body);

const composer: FormatProfile = {
  name: 'composer',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_COMPOSER',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = composerArchive(libraryEntries('kit/pkg', `kit ${n}`));
    const file = `kit-pkg.1.0.${n}.zip`;
    return {
      upload: composerPut(owner, `1.0.${n}`, bytes),
      download: `${pkgs(owner, 'composer')}/files/kit%2Fpkg/1.0.${n}/${file}`,
      bytes,
      filename: file,
    };
  },
  async invalidUpload(owner, n) {
    return composerPut(owner, `9.0.${n}`, composerArchive([{ name: 'src/A.php', text: '<?php' }]));
  },
  async oversizedUpload(owner, n, limit) {
    // Base64 of random bytes deflates to three quarters of its length: still over the limit.
    const text = filler(2 * limit).toString('base64');
    const body = composerArchive([...libraryEntries('kit/pkg', 'big'), { name: 'big.txt', text }]);
    return composerPut(owner, `9.1.${n}`, body);
  },
  etag: coreEtag,
};

const vagrantPut = (owner: string, path: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'vagrant')}/${path}`, body);

const vagrant: FormatProfile = {
  name: 'vagrant',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_VAGRANT',
  challenge: BASIC,
  async artifact(owner, n) {
    const path = `kit-box/1.0.${n}/virtualbox.box`;
    const bytes = buildBox({ info: { description: `kit ${n}` } });
    return {
      upload: vagrantPut(owner, path, bytes),
      download: `${pkgs(owner, 'vagrant')}/${path}`,
      bytes,
      filename: 'virtualbox.box',
    };
  },
  // metadata.json says libvirt; the box is uploaded for virtualbox.
  async invalidUpload(owner, n) {
    return vagrantPut(owner, `kit-box/9.0.${n}/virtualbox.box`, buildBox({ provider: 'libvirt' }));
  },
  async oversizedUpload(owner, n, limit) {
    const body = buildBox({ files: { 'big.txt': filler(limit).toString('base64') } });
    return vagrantPut(owner, `kit-box/9.1.${n}/virtualbox.box`, body);
  },
  etag: coreEtag,
};

const condaPut = (owner: string, path: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'conda')}/${path}`, body);

const conda: FormatProfile = {
  name: 'conda',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_CONDA',
  challenge: BASIC,
  async artifact(owner, n) {
    const file = `kit-1.0.${n}-py_0.conda`;
    const bytes = buildConda({ index: condaIndex('kit', `1.0.${n}`) });
    return {
      upload: condaPut(owner, file, bytes),
      download: `${pkgs(owner, 'conda')}/noarch/${file}`,
      bytes,
      filename: file,
    };
  },
  // A version with "-", which conda reads as part of the build.
  async invalidUpload(owner, n) {
    return condaPut(owner, 'kit.tar.bz2', buildTarBz2({ index: condaIndex('kit', `9.0-${n}`) }));
  },
  async oversizedUpload(owner, n, limit) {
    const body = buildTarBz2({
      index: condaIndex('kit', `9.1.${n}`),
      files: { 'big.bin': filler(limit) },
    });
    return condaPut(owner, 'kit.tar.bz2', body);
  },
  etag: coreEtag,
};

let rpmDir: string | undefined;
const rpmKit = (spec: RpmSpecOptions) => rpmBytes((rpmDir ??= scratch('rpm-kit')), spec);
// The kit publishes dozens of packages: rpmbuild makes them 48 at a time, as subpackages.
const rpmPool: Buffer[] = [];
const pooledRpm = (n: number): Buffer => {
  while (rpmPool.length <= n) {
    const made = buildRpmSet((rpmDir ??= scratch('rpm-kit')), 'kit', '1.0', 48, rpmPool.length);
    rpmPool.push(...made.map((f) => readFileSync(f)));
  }
  return rpmPool[n];
};
// Kept as uploaded (?sign=false), so the download is the bytes sent.
const rpmPut = (owner: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'rpm')}/kit/upload?sign=false`, body);

const rpm: FormatProfile = {
  name: 'rpm',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_RPM',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = pooledRpm(n);
    return {
      upload: rpmPut(owner, bytes),
      download: `${pkgs(owner, 'rpm')}/kit/package/kit-${n}/1.0-1/noarch`,
      bytes,
      filename: `kit-${n}-1.0-1.noarch.rpm`,
    };
  },
  // Not an rpm: a tarball where the lead should be.
  async invalidUpload(owner) {
    return rpmPut(owner, await tgz({ 'kit.spec': 'Name: kit\n' }));
  },
  async oversizedUpload(owner, n, limit) {
    const big = filler(limit);
    return rpmPut(
      owner,
      rpmKit({
        name: 'kit',
        version: `9.1.${n}`,
        files: [{ path: '/usr/share/kit/big', content: big }],
      }),
    );
  },
  etag: coreEtag,
};

const cranSource = (owner: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'cran')}/src`, body);

const cran: FormatProfile = {
  name: 'cran',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_CRAN',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = rPackageArchive('kit.pkg', descriptionText('kit.pkg', `1.0.${n}`));
    const file = `kit.pkg_1.0.${n}.tar.gz`;
    return {
      upload: cranSource(owner, bytes),
      download: `${pkgs(owner, 'cran')}/src/contrib/${file}`,
      bytes,
      filename: file,
    };
  },
  // A DESCRIPTION without the Version R requires.
  async invalidUpload(owner) {
    return cranSource(owner, rPackageArchive('kit.pkg', 'Package: kit.pkg\nTitle: x\n'));
  },
  async oversizedUpload(owner, n, limit) {
    const body = rPackageArchive('kit.pkg', descriptionText('kit.pkg', `9.1.${n}`), 'tar', [
      { name: 'kit.pkg/data/big.txt', text: filler(limit).toString('base64') },
    ]);
    return cranSource(owner, body);
  },
  etag: coreEtag,
};

const debianUpload = (owner: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'debian')}/pool/stable/main/upload`, body);

const debian: FormatProfile = {
  name: 'debian',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_DEBIAN',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = await handMadeDeb(controlText('kit', `1.0.${n}`, 'amd64'));
    const file = `kit_1.0.${n}_amd64.deb`;
    return {
      upload: debianUpload(owner, bytes),
      download: `${pkgs(owner, 'debian')}/pool/stable/main/${file}`,
      bytes,
      filename: file,
    };
  },
  // A control file without the Architecture dpkg requires.
  async invalidUpload(owner, n) {
    return debianUpload(owner, await handMadeDeb(`Package: kit\nVersion: 9.0.${n}\n`));
  },
  async oversizedUpload(owner, n, limit) {
    const body = await handMadeDeb(controlText('kit', `9.1.${n}`, 'amd64'), {
      extraMembers: [arMember('padding', filler(limit))],
    });
    return debianUpload(owner, body);
  },
  etag: coreEtag,
};

const conanFile = (owner: string, version: string, file: string) =>
  `${pkgs(owner, 'conan')}/v2/conans/kit/${version}/_/_/revisions/${'a'.repeat(32)}/files/${file}`;

const conan: FormatProfile = {
  name: 'conan',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_CONAN',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = await conanTgz([{ name: 'CMakeLists.txt', body: `project(kit${n})` }]);
    const path = conanFile(owner, `1.0.${n}`, 'conan_export.tgz');
    return { upload: put(path, bytes), download: path, bytes, filename: 'conan_export.tgz' };
  },
  // An export whose entry would be written outside the recipe's folder.
  async invalidUpload(owner, n) {
    const bytes = await conanTgz([{ name: '../outside', body: 'x' }]);
    return put(conanFile(owner, `9.0.${n}`, 'conan_export.tgz'), bytes);
  },
  async oversizedUpload(owner, n, limit) {
    const bytes = await conanTgz([{ name: 'big.bin', body: filler(limit) }]);
    return put(conanFile(owner, `9.1.${n}`, 'conan_export.tgz'), bytes);
  },
  etag: coreEtag,
};

// `knife supermarket share`'s form; the kit signs in with Basic or a token, which Chef routes take too.
const chefShare = (owner: string, tarball: Buffer): KitRequest => {
  const { body, contentType } = shareBody(tarball, 'kit-cb.tgz');
  const path = `${pkgs(owner, 'chef')}/api/v1/cookbooks`;
  return { method: 'POST', path, body, headers: { 'Content-Type': contentType } };
};

const chef: FormatProfile = {
  name: 'chef',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_CHEF',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = knifeCookbook({ name: 'kit-cb', version: `1.0.${n}` });
    return {
      upload: chefShare(owner, bytes),
      download: `${pkgs(owner, 'chef')}/api/v1/cookbooks/kit-cb/versions/1.0.${n}/download`,
      bytes,
      filename: `1.0.${n}.tar.gz`,
    };
  },
  // A cookbook without metadata.json (metadata.rb only).
  async invalidUpload(owner) {
    return chefShare(owner, await craftedCookbook([{ name: 'kit-cb/metadata.rb', body: 'x' }]));
  },
  async oversizedUpload(owner, n, limit) {
    const files = { 'files/big.bin': filler(limit) };
    return chefShare(owner, knifeCookbook({ name: 'kit-cb', version: `9.1.${n}`, files }));
  },
  etag: coreEtag,
};

const goZip = (module: string, version: string, entries: { name: string; text: string }[]) =>
  composerArchive(entries.map((e) => ({ name: `${module}@${version}/${e.name}`, text: e.text })));

const go: FormatProfile = {
  name: 'go',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_GO',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = goZip('kit.example/mod', `v1.0.${n}`, [
      { name: 'go.mod', text: 'module kit.example/mod\n' },
      { name: 'kit.go', text: `package kit\n\nconst N = ${n}\n` },
    ]);
    return {
      upload: put(`${pkgs(owner, 'go')}/upload`, bytes),
      download: `${pkgs(owner, 'go')}/kit.example/mod/@v/v1.0.${n}.zip`,
      bytes,
      filename: `v1.0.${n}.zip`,
    };
  },
  // The go.mod names another module than the zip's entries.
  async invalidUpload(owner, n) {
    const body = goZip('kit.example/mod', `v0.8.${n}`, [
      { name: 'go.mod', text: 'module kit.example/other\n' },
    ]);
    return put(`${pkgs(owner, 'go')}/upload`, body);
  },
  async oversizedUpload(owner, n, limit) {
    const text = filler(2 * limit).toString('base64');
    const body = goZip('kit.example/mod', `v0.9.${n}`, [
      { name: 'go.mod', text: 'module kit.example/mod\n' },
      { name: 'big.txt', text },
    ]);
    return put(`${pkgs(owner, 'go')}/upload`, body);
  },
  etag: coreEtag,
};

const nugetPkg = (
  version: string,
  extra: { name: string; base64?: string; text?: string }[] = [],
) =>
  nupkg({ id: 'Kit.Package', version }, [
    { name: 'Kit.Package.nuspec', text: nuspec({ id: 'Kit.Package', version }) },
    ...extra,
  ]);

const nuget: FormatProfile = {
  name: 'nuget',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_NUGET',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = nugetPkg(`1.0.${n}`);
    return {
      upload: put(pkgs(owner, 'nuget'), bytes),
      download: `${pkgs(owner, 'nuget')}/package/kit.package/1.0.${n}/kit.package.1.0.${n}.nupkg`,
      bytes,
      filename: `kit.package.1.0.${n}.nupkg`,
    };
  },
  // A .nupkg without its .nuspec.
  async invalidUpload(owner, n) {
    return put(pkgs(owner, 'nuget'), composerArchive([{ name: `lib/kit${n}.dll`, text: 'x' }]));
  },
  async oversizedUpload(owner, n, limit) {
    const big = { name: 'big.bin', base64: filler(limit).toString('base64') };
    return put(pkgs(owner, 'nuget'), nugetPkg(`9.1.${n}`, [big]));
  },
  etag: coreEtag,
};

const swiftPut = (owner: string, version: string, archive: Buffer): KitRequest => {
  const form = swiftPmPublishForm(archive, { description: 'kit' });
  return put(`${pkgs(owner, 'swift')}/kit/pkg/${version}`, form.body, {
    'Content-Type': form.contentType,
    Accept: 'application/vnd.swift.registry.v1+json',
  });
};

const swift: FormatProfile = {
  name: 'swift',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_SWIFT',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = sourceArchive('pkg', [{ name: `pkg/kit${n}.txt`, text: `kit ${n}` }]);
    return {
      upload: swiftPut(owner, `1.0.${n}`, bytes),
      download: `${pkgs(owner, 'swift')}/kit/pkg/1.0.${n}.zip`,
      bytes,
      filename: `pkg-1.0.${n}.zip`,
    };
  },
  // A source archive without Package.swift.
  async invalidUpload(owner, n) {
    return swiftPut(owner, `9.0.${n}`, zipOf([{ name: 'pkg/Sources/pkg/a.swift', text: 'x' }]));
  },
  async oversizedUpload(owner, n, limit) {
    const text = filler(2 * limit).toString('base64');
    return swiftPut(owner, `9.1.${n}`, sourceArchive('pkg', [{ name: 'pkg/big.txt', text }]));
  },
  etag: coreEtag,
};

/** `dart pub publish`'s upload step (lish.dart): multipart `file`, 204 with the finalize URL. */
const pubUpload = (owner: string, content: Buffer): KitRequest => {
  const form = multipart({}, { field: 'file', filename: 'package.tar.gz', content });
  return {
    method: 'POST',
    path: `${pkgs(owner, 'pub')}/api/packages/versions/new/upload`,
    body: form.body,
    headers: { 'Content-Type': form.contentType },
  };
};

const pub: FormatProfile = {
  name: 'pub',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_PUB',
  challenge: () =>
    'Bearer realm="pub", message="Use a Wharf access token: dart pub token add <hosted url>"',
  async artifact(owner, n) {
    const bytes = pubPackage('kit_pkg', `1.0.${n}`);
    return {
      upload: pubUpload(owner, bytes),
      download: `${pkgs(owner, 'pub')}/api/packages/kit_pkg/files/1.0.${n}.tar.gz`,
      bytes,
      filename: `1.0.${n}.tar.gz`,
    };
  },
  uploadedStatus: 204,
  // A version pub_semver cannot parse.
  async invalidUpload(owner, n) {
    return pubUpload(owner, pubPackage('kit_pkg', `9.0.${n}.0`));
  },
  async oversizedUpload(owner, n, limit) {
    return pubUpload(
      owner,
      pubPackage('kit_pkg', `9.1.${n}`, `big: ${filler(limit).toString('base64')}\n`),
    );
  },
  etag: coreEtag,
};

// ALT: one rpm from rpmbuild, renumbered for each artifact (a new version each time).
const altWork = () => mkdtempSync(path.join(os.tmpdir(), 'wharf-kit-alt-'));
const altUpload = (owner: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'alt')}/upload`, body);
let altTemplate: Buffer | undefined;

const alt: FormatProfile = {
  name: 'alt',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_ALT',
  challenge: BASIC,
  async artifact(owner, n) {
    altTemplate ??= readFileSync(
      buildRpm(altWork(), { name: 'kit', version: '1.0.000000', release: 'alt1', arch: 'noarch' }),
    );
    const version = `1.0.${String(n).padStart(6, '0')}`;
    const bytes = renumberRpm(altTemplate, '1.0.000000', version);
    const file = `kit-${version}-alt1.noarch.rpm`;
    return {
      upload: altUpload(owner, bytes),
      download: `${pkgs(owner, 'alt')}/alt.repo/noarch/RPMS.classic/${file}`,
      bytes,
      filename: file,
    };
  },
  // Not an rpm: no lead magic.
  async invalidUpload(owner) {
    return altUpload(owner, Buffer.from('not an rpm package\n'.repeat(64)));
  },
  async oversizedUpload(owner, n, limit) {
    const big = buildRpm(altWork(), {
      name: 'kit',
      version: `9.1.${n}`,
      release: 'alt1',
      arch: 'noarch',
      files: [{ path: '/usr/share/kit/big.bin', content: filler(limit) }],
    });
    return altUpload(owner, readFileSync(big));
  },
  etag: coreEtag,
};

const alpineUpload = (owner: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'alpine')}/v3.20/main`, body);

const alpine: FormatProfile = {
  name: 'alpine',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_ALPINE',
  challenge: BASIC,
  async artifact(owner, n) {
    const { bytes } = await buildApk({ name: `kit-${n}`, version: '1.0-r0', arch: 'x86_64' });
    const file = `kit-${n}-1.0-r0.apk`;
    return {
      upload: alpineUpload(owner, bytes),
      download: `${pkgs(owner, 'alpine')}/v3.20/main/x86_64/${file}`,
      bytes,
      filename: file,
    };
  },
  // A control segment whose .PKGINFO has no pkgname.
  async invalidUpload(owner, n) {
    return alpineUpload(
      owner,
      (
        await buildApk({
          name: 'kit',
          version: `9.0.${n}-r0`,
          arch: 'x86_64',
          pkginfo: 'pkgver = 1\n',
        })
      ).bytes,
    );
  },
  async oversizedUpload(owner, n, limit) {
    const { bytes } = await buildApk({
      name: 'kit',
      version: `9.1.${n}-r0`,
      arch: 'x86_64',
      files: { big: filler(limit) },
    });
    return alpineUpload(owner, bytes);
  },
  etag: coreEtag,
};

// Arch: gzip'd package tars made here (the kit publishes dozens; test/arch.e2e-spec.ts and
// test/arch-client.e2e-spec.ts use makepkg's).
const archPackage = (version: string, extra: Buffer | string = 'kit\n') =>
  handMadePackage([
    {
      name: '.PKGINFO',
      body: pkgInfo({ pkgname: 'kit', pkgver: version, arch: 'x86_64', size: '4' }),
    },
    { name: 'usr/share/kit/file', body: extra },
  ]);
const archPut = (owner: string, body: Buffer): KitRequest =>
  put(`${pkgs(owner, 'arch')}/kit`, body);

const arch: FormatProfile = {
  name: 'arch',
  sizeLimitEnv: 'REGISTRY_LIMIT_SIZE_ARCH',
  challenge: BASIC,
  async artifact(owner, n) {
    const bytes = await archPackage(`1.0.${n}-1`);
    const file = `kit-1.0.${n}-1-x86_64.pkg.tar.gz`;
    return {
      upload: archPut(owner, bytes),
      download: `${pkgs(owner, 'arch')}/kit/x86_64/${file}`,
      bytes,
      filename: file,
    };
  },
  // A package without .PKGINFO.
  async invalidUpload(owner) {
    return archPut(owner, await tgz({ 'usr/share/kit/file': 'kit\n' }));
  },
  async oversizedUpload(owner, n, limit) {
    return archPut(owner, await archPackage(`9.1.${n}-1`, filler(limit)));
  },
  etag: coreEtag,
};

/** Every landed format's profile, in the order the kit files share them out. */
export const PROFILES: FormatProfile[] = [
  generic,
  maven,
  helm,
  npm,
  pypi,
  container,
  rubygems,
  cargo,
  composer,
  vagrant,
  conda,
  conan,
  chef,
  go,
  cran,
  debian,
  nuget,
  swift,
  pub,
  alt,
  alpine,
  arch,
  // rpmbuild makes its artifacts; without it (outside CI) the rpm suite says so in its own spec.
  ...(hasRpmbuild() || process.env.CI === 'true' ? [rpm] : []),
];

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import {
  buildRPackage,
  descriptionText,
  findRTools,
  rPackageArchive,
  RSandbox,
} from './support/clients/cran';
import { startTestApp, TestApp } from './support/test-app';

const tools = findRTools();

/**
 * Debian's R (r-base-core) against a private owner (docs/protocols/cran.md §6): packages
 * built with `R CMD build` and PUT as the protocol has it, then `install.packages(type =
 * "source")` from Wharf alone, with the credentials in the repos URL, into a clean library;
 * the installed package is loaded and called, its dependency resolved through PACKAGES.
 */
describeIf(tools.available, tools.missing, 'R install.packages client', () => {
  let t: TestApp;
  let sb: RSandbox;
  let token: string;
  const repos = (withCredentials = true) =>
    `${t.url.replace('://', withCredentials ? `://alice:${token}@` : '://')}/api/packages/alice/cran`;
  const rString = (s: string) => JSON.stringify(s);

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice', 'private');
    token = await createToken(t.url, 'alice');
    sb = new RSandbox();
    const out = path.join(sb.home, 'build');
    const builds = [
      buildRPackage(out, { name: 'wharfhello', version: '1.0.0' }),
      buildRPackage(out, { name: 'wharfhello', version: '1.1.0' }),
      buildRPackage(out, {
        name: 'wharf.app',
        version: '0.2-1',
        description: descriptionText('wharf.app', '0.2-1', 'Imports: wharfhello (>= 1.1.0)\n'),
        greeting: 'app',
      }),
    ];
    for (const file of builds)
      await request(t.url)
        .put('/api/packages/alice/cran/src')
        .auth('alice', token)
        .send(readFileSync(file))
        .expect(201);
  });
  afterAll(async () => {
    sb?.dispose();
    await t?.close();
  });

  it('install.packages(type = "source") from Wharf alone, credentials in the repos URL; library() calls it', async () => {
    const res = await sb.rscript(
      [
        'options(warn = 1)',
        `install.packages("wharf.app", repos = ${rString(repos())}, type = "source", lib = ${rString(sb.lib)})`,
        `library(wharf.app, lib.loc = ${rString(sb.lib)})`,
        'cat("\\nRESULT:", hello(), wharfhello::hello(), "\\n")',
      ].join('\n'),
    );
    expect(res).toMatchObject({ code: 0 });
    // The dependency came from PACKAGES (Imports), at the highest version listed there.
    expect(res.out).toMatch(/DONE \(wharfhello\)/);
    expect(res.out).toMatch(/DONE \(wharf\.app\)/);
    expect(res.out).toMatch(/RESULT: app hello from wharfhello 1\.1\.0/);
  });

  it('reads PACKAGES.rds (which R asks for first) as the matrix read.dcf makes of PACKAGES', async () => {
    const src = `${repos()}/src/contrib`;
    const res = await sb.rscript(
      [
        `rds <- file.path(tempdir(), "PACKAGES.rds"); dcf <- file.path(tempdir(), "PACKAGES")`,
        `download.file(${rString(`${src}/PACKAGES.rds`)}, rds, mode = "wb", quiet = TRUE)`,
        `download.file(${rString(`${src}/PACKAGES`)}, dcf, quiet = TRUE)`,
        'x <- readRDS(rds)',
        'cat("\\nSAME:", identical(x, read.dcf(dcf)), paste(x[, "Package"], x[, "Version"]), "\\n")',
      ].join('\n'),
    );
    expect(res.out).toMatch(/SAME: TRUE wharf\.app 0\.2-1 wharfhello 1\.1\.0/);
  });

  it('reads a binary index and downloads the Windows zip it lists (type = "win.binary")', async () => {
    // R derives the directory from its own major.minor: upload for that one.
    const version = await sb.rscript('cat(sub("\\\\.[0-9]+$", "", getRversion()))');
    expect(version.out).toMatch(/^\d+\.\d+$/);
    await request(t.url)
      .put(`/api/packages/alice/cran/bin?platform=windows&rversion=${version.out}`)
      .auth('alice', token)
      .send(rPackageArchive('wharfhello', descriptionText('wharfhello', '1.1.0'), 'zip'))
      .expect(201);
    const dest = path.join(sb.home, 'downloads');
    mkdirSync(dest);
    const res = await sb.rscript(
      [
        'options(warn = 1)',
        `ap <- available.packages(repos = ${rString(repos())}, type = "win.binary")`,
        'cat("\\nINDEX:", rownames(ap), ap[, "Version"], "\\n")',
        `d <- download.packages("wharfhello", destdir = ${rString(dest)}, repos = ${rString(repos())}, available = ap, type = "win.binary")`,
        'cat("GOT:", basename(d[, 2]), file.size(d[, 2]) > 0, "\\n")',
      ].join('\n'),
    );
    expect(res).toMatchObject({ code: 0 });
    expect(res.out).toMatch(/INDEX: wharfhello 1\.1\.0/);
    expect(res.out).toMatch(/GOT: wharfhello_1\.1\.0\.zip TRUE/);
  });

  // R's own libcurl method ignores ~/.netrc (R 4.2); the external curl method reads it when told.
  it('takes the credentials from ~/.netrc with download.file.method = "curl" and --netrc', async () => {
    const netrc = path.join(sb.home, '.netrc');
    writeFileSync(netrc, `machine 127.0.0.1 login alice password ${token}\n`, { mode: 0o600 });
    const lib = path.join(sb.home, 'netrc-lib');
    mkdirSync(lib);
    try {
      const res = await sb.rscript(
        [
          'options(warn = 1, download.file.method = "curl", download.file.extra = "--netrc")',
          `install.packages("wharfhello", repos = ${rString(repos(false))}, type = "source", lib = ${rString(lib)})`,
          `library(wharfhello, lib.loc = ${rString(lib)})`,
          `cat("\\nRESULT:", hello(), "\\n")`,
        ].join('\n'),
      );
      expect(res.out).toMatch(/RESULT: hello from wharfhello 1\.1\.0/);
      expect(res.out).not.toContain(token);
    } finally {
      rmSync(netrc);
    }
  });

  it('without credentials R finds no index for the private owner and installs nothing', async () => {
    const res = await sb.rscript(
      [
        'options(warn = 1)',
        `install.packages("wharfhello", repos = ${rString(repos(false))}, type = "source", lib = ${rString(sb.home)})`,
        `cat("\\nINSTALLED:", "wharfhello" %in% rownames(installed.packages(${rString(sb.home)})), "\\n")`,
      ].join('\n'),
    );
    expect(res.out).toMatch(/unable to access index|cannot open URL|401/i);
    expect(res.out).toMatch(/INSTALLED: FALSE/);
  });
});

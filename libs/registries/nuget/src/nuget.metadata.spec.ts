import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import { checkName } from '@wharf/packages-core';
import { readNuspec } from './nuget-archive';
import { FILE_NAME, PACKAGE_ID, parseNuspec, routeVersion } from './nuget.metadata';

const fixture = readFileSync(
  path.join(__dirname, 'fixtures/Wharf.Fixture.01.02.003.0-Beta1.nupkg'),
);
const open = (bytes: Buffer) => async (start: number, end: number) =>
  Readable.from([bytes.subarray(start, end + 1)]);

describe('the .nuspec of a package NuGet.exe 2.8 packed', () => {
  it('gives the id, the normalised version and the served fields', async () => {
    const { nuspec, entries } = await readNuspec(open(fixture), fixture.length);
    expect(entries).toContain('content/greeting.txt');
    expect(nuspec.isSymbolsPackage).toBe(false);
    expect(nuspec.metadata).toEqual({
      id: 'Wharf.Fixture',
      version: '1.2.3-Beta1',
      originalVersion: '01.02.003.0-Beta1',
      title: 'Wharf fixture',
      authors: 'Wharf Tests',
      owners: 'wharf',
      description: 'A package NuGet.exe packed, which the tests read.',
      releaseNotes: 'First.',
      copyright: 'none',
      language: 'en-GB',
      tags: 'wharf fixture',
      projectUrl: 'https://example.com/wharf',
      licenseUrl: 'https://example.com/license',
      // iconUrl javascript: dropped
      minClientVersion: '2.8',
      requireLicenseAcceptance: true,
      developmentDependency: true,
      dependencyGroups: [
        {
          targetFramework: '.NETFramework4.5',
          // the range as NuGet.exe rewrites it
          dependencies: [{ id: 'Newtonsoft.Json', range: '[6.0, 7.0)' }],
        },
      ],
    });
  });
});

describe('nuspec parsing', () => {
  const doc = (metadata: string, prolog = '') =>
    Buffer.from(
      `<?xml version="1.0"?>${prolog}<package><metadata>${metadata}</metadata></package>`,
    );

  it('refuses any document type declaration (XXE, entity expansion)', () => {
    for (const prolog of [
      '<!DOCTYPE package SYSTEM "http://example.com/x.dtd">',
      '<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
      '<!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    ])
      expect(() => parseNuspec(doc('<id>A</id><version>1.0</version>', prolog))).toThrow(/DOCTYPE/);
  });

  it('decodes predefined entities only, and skips dependencies without an id', () => {
    const m = parseNuspec(
      doc(
        '<id>A.B</id><version>1.0</version><description>a &lt;b&gt; &#x26; c</description>' +
          '<dependencies><dependency id="X" /><dependency version="1.0" /></dependencies>',
      ),
    ).metadata;
    expect(m.description).toBe('a <b> & c');
    expect(m.dependencyGroups).toEqual([{ targetFramework: '', dependencies: [{ id: 'X' }] }]);
  });

  it('refuses a missing or bad id or version and malformed XML', () => {
    expect(() => parseNuspec(doc('<version>1.0</version>'))).toThrow(/<id> is missing/);
    expect(() => parseNuspec(doc('<id>A</id>'))).toThrow(/<version> is missing/);
    expect(() => parseNuspec(doc('<id>a b</id><version>1.0</version>'))).toThrow(
      /invalid package id/,
    );
    expect(() => parseNuspec(doc('<id>A</id><version>one</version>'))).toThrow(/version/);
    expect(() => parseNuspec(Buffer.from('<package><metadata>'))).toThrow(/not well-formed/);
  });

  it('recognises a symbol package by its package type', () => {
    const spec = parseNuspec(
      doc(
        '<id>A</id><version>1.0</version><packageTypes><packageType name="SymbolsPackage"/></packageTypes>',
      ),
    );
    expect(spec.isSymbolsPackage).toBe(true);
  });

  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))('refuses %s', (_l, { value, fileNameOnly }) => {
    expect(() => checkName(value, FILE_NAME)).toThrow(/invalid file name/);
    if (!fileNameOnly) expect(() => checkName(value, PACKAGE_ID)).toThrow(/invalid package id/);
    if (!fileNameOnly) expect(() => routeVersion(value)).toThrow(/version/);
  });
});

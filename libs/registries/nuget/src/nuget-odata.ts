import { isoTime, NuGetLinks, NuGetVersionEntry } from './nuget.documents';
import { isPrerelease } from './nuget-version';

/*
 * The NuGet v2 feed (docs/protocols/nuget.md §4, v2 documents): an OData v2 service in
 * Atom XML, as NuGet.exe 2.x, Visual Studio and PowerShellGet read it through WCF Data
 * Services. Pure builders (XML text out) and the reading of the few query options
 * clients send. Only what clients use is served: no `$select`, `$orderby` or expression
 * evaluation beyond the search term.
 */

const ATOM = 'http://www.w3.org/2005/Atom';
const DATA = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
const META = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
const ENTITY_TYPE = 'NuGetGallery.OData.V2FeedPackage';
const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';

export function xmlEscape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** `GET {base}/`: the AtomPub service document naming the `Packages` collection. */
export function buildServiceDocument(root: string): string {
  return (
    XML_HEAD +
    `<service xmlns="http://www.w3.org/2007/app" xmlns:atom="${ATOM}" xml:base="${xmlEscape(root)}/">` +
    '<workspace><atom:title type="text">Default</atom:title>' +
    '<collection href="Packages"><atom:title type="text">Packages</atom:title></collection>' +
    '</workspace></service>'
  );
}

// Every property an entry carries, with its EDM type (strings unless named here).
const PROPERTIES: [string, string?][] = [
  ['Id'],
  ['Version'],
  ['NormalizedVersion'],
  ['Title'],
  ['Authors'],
  ['Owners'],
  ['Summary'],
  ['Description'],
  ['ReleaseNotes'],
  ['Copyright'],
  ['Language'],
  ['Tags'],
  ['Dependencies'],
  ['ProjectUrl'],
  ['LicenseUrl'],
  ['IconUrl'],
  ['MinClientVersion'],
  ['PackageHash'],
  ['PackageHashAlgorithm'],
  ['PackageSize', 'Edm.Int64'],
  ['DownloadCount', 'Edm.Int32'],
  ['VersionDownloadCount', 'Edm.Int32'],
  ['Created', 'Edm.DateTime'],
  ['LastUpdated', 'Edm.DateTime'],
  ['Published', 'Edm.DateTime'],
  ['IsLatestVersion', 'Edm.Boolean'],
  ['IsAbsoluteLatestVersion', 'Edm.Boolean'],
  ['IsPrerelease', 'Edm.Boolean'],
  ['Listed', 'Edm.Boolean'],
  ['RequireLicenseAcceptance', 'Edm.Boolean'],
  ['DevelopmentDependency', 'Edm.Boolean'],
];

/**
 * `$metadata`: the entity type with its stream (the .nupkg is the entry's media
 * resource: NuGet.exe downloads `content/@src`) and the function imports NuGet.exe
 * looks for before it calls them (`Search`, `FindPackagesById`).
 */
export function buildMetadataDocument(): string {
  const property = ([name, type]: [string, string?]) =>
    `<Property Name="${name}" Type="${type ?? 'Edm.String'}" Nullable="${
      name === 'Id' || name === 'Version' || type ? 'false' : 'true'
    }"/>`;
  const fn = (name: string, params: string[]) =>
    `<FunctionImport Name="${name}" ReturnType="Collection(${ENTITY_TYPE})" EntitySet="Packages" m:HttpMethod="GET">` +
    params
      .map((p) => `<Parameter Name="${p}" Type="Edm.String" FixedLength="false" Unicode="false"/>`)
      .join('') +
    '</FunctionImport>';
  return (
    XML_HEAD +
    '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx">' +
    `<edmx:DataServices m:DataServiceVersion="2.0" m:MaxDataServiceVersion="2.0" xmlns:m="${META}">` +
    '<Schema Namespace="NuGetGallery.OData" xmlns="http://schemas.microsoft.com/ado/2006/04/edm">' +
    '<EntityType Name="V2FeedPackage" m:HasStream="true">' +
    '<Key><PropertyRef Name="Id"/><PropertyRef Name="Version"/></Key>' +
    PROPERTIES.map(property).join('') +
    '</EntityType></Schema>' +
    '<Schema Namespace="NuGetGallery" xmlns="http://schemas.microsoft.com/ado/2006/04/edm">' +
    '<EntityContainer Name="V2FeedContext" m:IsDefaultEntityContainer="true">' +
    `<EntitySet Name="Packages" EntityType="${ENTITY_TYPE}"/>` +
    fn('Search', ['searchTerm', 'targetFramework', 'includePrerelease']) +
    fn('FindPackagesById', ['id']) +
    '</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>'
  );
}

/** An entry's place in its package: whether it is the latest (release) and absolute latest version. */
interface EntryContext {
  latest: boolean;
  absoluteLatest: boolean;
  totalDownloads: number;
}

function entryPath(v: NuGetVersionEntry): string {
  return `Packages(Id='${v.id}',Version='${v.version}')`;
}

function entryXml(links: NuGetLinks, v: NuGetVersionEntry, ctx: EntryContext): string {
  const m = v.metadata;
  const time = isoTime(v.createdUnix);
  const values: Record<string, string | number | boolean | undefined> = {
    Id: v.id,
    Version: m.originalVersion.replace(/\+.*$/, ''),
    NormalizedVersion: v.version,
    Title: m.title,
    Authors: m.authors,
    Owners: m.owners,
    Summary: m.summary,
    Description: m.description,
    ReleaseNotes: m.releaseNotes,
    Copyright: m.copyright,
    Language: m.language,
    Tags: m.tags,
    // NuGet.exe splits on `|`, then `id:range:framework` (docs/protocols/nuget.md §4).
    Dependencies: m.dependencyGroups
      .flatMap((g) => g.dependencies.map((d) => `${d.id}:${d.range ?? ''}:${g.targetFramework}`))
      .join('|'),
    ProjectUrl: m.projectUrl,
    LicenseUrl: m.licenseUrl,
    IconUrl: m.iconUrl,
    MinClientVersion: m.minClientVersion,
    PackageHash: Buffer.from(v.sha512, 'hex').toString('base64'),
    PackageHashAlgorithm: 'SHA512',
    PackageSize: v.size,
    DownloadCount: ctx.totalDownloads,
    VersionDownloadCount: v.downloads,
    Created: time,
    LastUpdated: time,
    Published: time,
    IsLatestVersion: ctx.latest,
    IsAbsoluteLatestVersion: ctx.absoluteLatest,
    IsPrerelease: isPrerelease(v.version),
    Listed: true,
    RequireLicenseAcceptance: m.requireLicenseAcceptance,
    DevelopmentDependency: m.developmentDependency,
  };
  const properties = PROPERTIES.map(([name, type]) => {
    const value = values[name];
    if (value === undefined || value === '') return type ? '' : `<d:${name} m:null="true"/>`;
    const typed = type ? ` m:type="${type}"` : '';
    return `<d:${name}${typed}>${xmlEscape(String(value))}</d:${name}>`;
  }).join('');
  const path = xmlEscape(entryPath(v));
  return (
    `<entry><id>${xmlEscape(links.root)}/${path}</id>` +
    `<category term="${ENTITY_TYPE}" scheme="${DATA}/scheme"/>` +
    `<link rel="edit" title="V2FeedPackage" href="${path}"/>` +
    `<link rel="self" title="V2FeedPackage" href="${path}"/>` +
    `<title type="text">${xmlEscape(v.id)}</title>` +
    `<summary type="text">${xmlEscape(m.summary ?? '')}</summary>` +
    `<updated>${time}</updated>` +
    `<author><name>${xmlEscape(m.authors)}</name></author>` +
    // Self-closing: the client's reader expects an empty element with the media link.
    `<content type="application/zip" src="${xmlEscape(links.nupkg(v.id, v.version))}"/>` +
    `<m:properties>${properties}</m:properties></entry>`
  );
}

const NAMESPACES = `xmlns="${ATOM}" xmlns:d="${DATA}" xmlns:m="${META}"`;

/** What one feed response shows. */
export interface FeedPage {
  /** `Search`, `Packages` or `FindPackagesById`: the self and next links name it. */
  method: string;
  /** The query options to carry into the `next` link (search term, filter, id…). */
  carry: Record<string, string>;
  skip: number;
  top: number | undefined;
  total: number;
  entries: { version: NuGetVersionEntry; ctx: EntryContext }[];
}

/** An Atom feed of entries; a `next` link when the page is full. */
export function buildFeed(links: NuGetLinks, page: FeedPage): string {
  const updated = isoTime(Math.max(0, ...page.entries.map((e) => e.version.createdUnix)));
  const next =
    page.top !== undefined && page.top > 0 && page.entries.length === page.top
      ? `<link rel="next" href="${xmlEscape(
          `${links.root}/${page.method}()?${odataQuery({
            ...page.carry,
            $skip: String(page.skip + page.top),
            $top: String(page.top),
          })}`,
        )}"/>`
      : '';
  return (
    XML_HEAD +
    `<feed xml:base="${xmlEscape(links.root)}/" ${NAMESPACES}>` +
    `<id>${xmlEscape(links.root)}/${page.method}</id>` +
    `<title type="text">${page.method}</title><updated>${updated}</updated>` +
    `<link rel="self" title="${page.method}" href="${page.method}"/>` +
    `<m:count>${page.total}</m:count>` +
    page.entries.map((e) => entryXml(links, e.version, e.ctx)).join('') +
    next +
    '</feed>'
  );
}

/** `Packages(Id='…',Version='…')`: one entry, carrying the namespaces itself. */
export function buildEntry(
  links: NuGetLinks,
  version: NuGetVersionEntry,
  ctx: EntryContext,
): string {
  return (
    XML_HEAD +
    entryXml(links, version, ctx).replace(
      '<entry>',
      `<entry xml:base="${xmlEscape(links.root)}/" ${NAMESPACES}>`,
    )
  );
}

/** The versions of one package with their place in it (`versions` in NuGet's order). */
export function withContext(versions: NuGetVersionEntry[]) {
  const releases = versions.filter((v) => !isPrerelease(v.version));
  const latest = releases[releases.length - 1];
  const absoluteLatest = versions[versions.length - 1];
  const totalDownloads = versions.reduce((sum, v) => sum + v.downloads, 0);
  return versions.map((version) => ({
    version,
    ctx: {
      latest: version === latest,
      absoluteLatest: version === absoluteLatest,
      totalDownloads,
    },
  }));
}

/** What a v2 query asks for, read leniently as Forgejo does (docs/protocols/nuget.md §4). */
export interface V2Query {
  term: string;
  /** The term must be the whole id (`tolower(Id) eq '…'`). */
  exact: boolean;
  prerelease: boolean;
  /** `$filter` names IsLatestVersion (latest release) or IsAbsoluteLatestVersion (latest of all). */
  latest?: 'release' | 'absolute';
  /** `$orderby=Version desc`: newest first (NuGet.exe's FindPackagesById before an install). */
  newestFirst: boolean;
  skip: number;
  top: number | undefined;
  carry: Record<string, string>;
}

const CARRIED = ['searchTerm', '$filter', 'id', 'includePrerelease', 'targetFramework', '$orderby'];

export function v2Query(raw: Record<string, unknown>): V2Query {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const int = (...values: unknown[]) => {
    for (const v of values) if (/^\d{1,9}$/.test(text(v))) return Number(text(v));
    return undefined;
  };
  const filter = text(raw.$filter);
  const term = unquote(text(raw.searchTerm)) || /'([^']+)'/.exec(filter)?.[1]?.trim() || '';
  const carry: Record<string, string> = {};
  for (const key of CARRIED) if (text(raw[key])) carry[key] = text(raw[key]);
  return {
    term: term.slice(0, 200),
    exact: !text(raw.searchTerm) && /\beq\s+'/i.test(filter),
    prerelease:
      text(raw.includePrerelease).toLowerCase() === 'true' ||
      /IsAbsoluteLatestVersion/.test(filter),
    latest: /IsAbsoluteLatestVersion/.test(filter)
      ? 'absolute'
      : /IsLatestVersion/.test(filter)
        ? 'release'
        : undefined,
    newestFirst: /\bVersion\s+desc\b/i.test(text(raw.$orderby)),
    skip: int(raw.$skip, raw.skip) ?? 0,
    top: int(raw.$top, raw.take),
    carry,
  };
}

/** `'x'` → `x` (OData string literals). */
export function unquote(value: string): string {
  return value.replace(/^'(.*)'$/s, '$1').replace(/''/g, "'");
}

/** A query string as OData clients write it: option names as they are (`$skip`), values encoded. */
function odataQuery(options: Record<string, string>): string {
  return Object.entries(options)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
}

import { Injectable } from '@nestjs/common';
import { CachedDocument, checkName, GeneratedDocument, UserEntity } from '@wharf/packages-core';
import { NuGetVersionEntry } from './nuget.documents';
import { PACKAGE_ID } from './nuget.metadata';
import {
  buildEntry,
  buildFeed,
  buildMetadataDocument,
  buildServiceDocument,
  unquote,
  V2Query,
  v2Query,
  withContext,
} from './nuget-odata';
import { NuGetService } from './nuget.service';

const FEED_TYPE = 'application/atom+xml;type=feed;charset=utf-8';
const ENTRY_TYPE = 'application/atom+xml;type=entry;charset=utf-8';
const XML_TYPE = 'application/xml;charset=utf-8';
const COUNT_TYPE = 'text/plain; charset=utf-8';
// A feed without `$top` is cut here; clients page with `$skip`/`$top` or follow `next`.
const MAX_FEED_PAGE = 1000;

export type SearchMethod = 'Search' | 'Packages';

/** The NuGet v2 OData feed (docs/protocols/nuget.md §4), built from NuGetService's read models. */
@Injectable()
export class NuGetFeedService {
  constructor(private readonly nuget: NuGetService) {}

  /** `GET {base}` and `{base}/`. */
  serviceDocument(owner: UserEntity): Promise<CachedDocument> {
    return this.nuget.ownerDocument(owner, 'v2-root', async () => ({
      body: buildServiceDocument(this.nuget.links(owner).root),
      contentType: XML_TYPE,
    }));
  }

  /** `GET {base}/$metadata`. */
  metadata(owner: UserEntity): Promise<CachedDocument> {
    return this.nuget.ownerDocument(owner, 'v2-metadata', async () => ({
      body: buildMetadataDocument(),
      contentType: XML_TYPE,
    }));
  }

  /** `Search()` and `Packages()`, or their `/$count`. */
  search(
    owner: UserEntity,
    method: SearchMethod,
    raw: Record<string, unknown>,
    count: boolean,
  ): Promise<CachedDocument> {
    const query = v2Query(raw);
    const variant = `v2:${method}:${count}:${JSON.stringify(query)}`;
    return this.nuget.ownerDocument(owner, variant, async () => {
      const matches = this.match(await this.nuget.catalog(owner), query);
      return this.page(owner, method, query, matches, count);
    });
  }

  /** `FindPackagesById()?id='…'`, or its `/$count`: every version of one id. */
  async findById(
    owner: UserEntity,
    raw: Record<string, unknown>,
    count: boolean,
  ): Promise<CachedDocument> {
    const id = checkName(unquote(typeof raw.id === 'string' ? raw.id.trim() : ''), PACKAGE_ID);
    const query = v2Query(raw);
    const variant = `v2:find:${count}:${JSON.stringify(query)}`;
    return this.nuget.packageDocument(owner, id, variant, async () => {
      const matches = latestFirst(withContext(await this.nuget.findVersions(owner, id)), query);
      return this.page(owner, 'FindPackagesById', query, matches, count);
    });
  }

  /** `Packages(Id='…',Version='…')`: one entry; 404 when missing. */
  entry(owner: UserEntity, id: string, version: string): Promise<CachedDocument> {
    return this.nuget.packageDocument(owner, id, `v2:entry:${version.toLowerCase()}`, async () => {
      const wanted = await this.nuget.versionOf(owner, id, version);
      const versions = withContext(await this.nuget.versionsOf(owner, id));
      const found = versions.find((v) => v.version.version === wanted.version)!;
      return {
        body: buildEntry(this.nuget.links(owner), found.version, found.ctx),
        contentType: ENTRY_TYPE,
      };
    });
  }

  /**
   * The entries a search shows: for an exact id (`tolower(Id) eq '…'`) every version of
   * it, else each matching package's latest version (pre-releases only when asked for).
   */
  private match(catalog: NuGetVersionEntry[][], query: V2Query) {
    const term = query.term.toLowerCase();
    return catalog
      .filter((versions) => {
        const id = versions[0].id.toLowerCase();
        return query.exact ? id === term : id.includes(term);
      })
      .flatMap((versions) =>
        latestFirst(withContext(versions), {
          ...query,
          latest:
            query.latest ?? (query.exact ? undefined : query.prerelease ? 'absolute' : 'release'),
        }),
      );
  }

  private page(
    owner: UserEntity,
    method: string,
    query: V2Query,
    matches: ReturnType<typeof withContext>,
    count: boolean,
  ): GeneratedDocument {
    if (count) return { body: String(matches.length), contentType: COUNT_TYPE };
    const top = query.top || undefined;
    const entries = matches.slice(query.skip, query.skip + (top ?? MAX_FEED_PAGE));
    return {
      body: buildFeed(this.nuget.links(owner), {
        method,
        carry: query.carry,
        skip: query.skip,
        top,
        total: matches.length,
        entries,
      }),
      contentType: FEED_TYPE,
    };
  }
}

/** The versions a query keeps (`$filter=IsLatestVersion`…), in the order it asks for. */
function latestFirst(entries: ReturnType<typeof withContext>, query: V2Query) {
  const kept =
    query.latest === 'absolute'
      ? entries.filter((e) => e.ctx.absoluteLatest)
      : query.latest === 'release'
        ? entries.filter((e) => e.ctx.latest)
        : entries;
  return query.newestFirst ? [...kept].reverse() : kept;
}

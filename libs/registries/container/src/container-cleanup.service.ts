import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  CleanupRuleService,
  CleanupService,
  PackageCatalogQuery,
  PackageEntity,
  PackageQueryService,
  PackageService,
  PackageType,
  PackageVersionEntity,
  PropertyRefType,
} from '@wharf/packages-core';
import { BLOBS_VERSION, isDigest, MANIFEST_FILE, PROP } from './container.metadata';
import { ManifestMetadata } from './container-manifests.service';

const BATCH = 200;

/**
 * The container part of the periodic collection. Per image: a manifest is live when a tag
 * points at it, it is younger than the cut-off, a live index lists it, or its `subject`
 * is live (referrers follow their subject); other manifests are deleted. Blob links older
 * than the cut-off that no live manifest uses are removed, and the core collection then
 * frees bytes nothing references.
 */
@Injectable()
export class ContainerCleanupService implements OnModuleInit {
  constructor(
    private readonly cleanup: CleanupService,
    private readonly rules: CleanupRuleService,
    private readonly catalog: PackageCatalogQuery,
    private readonly query: PackageQueryService,
    private readonly packages: PackageService,
  ) {}

  onModuleInit(): void {
    this.cleanup.register((cutoff) => this.run(cutoff));
    // docs/protocols/core.md §9: cleanup rules see tags only; a tag removed leaves its manifest
    // to the liveness rules below, and untagged manifests older than the rule's age go too.
    this.rules.registerPolicy(PackageType.Container, {
      protects: (v) => isDigest(v.version) || v.lowerVersion === 'latest',
      extraTargets: async (pkg, rule, olderThan) => {
        if (rule.removeDays === 0) return []; // left to the regular collection and its age
        const { manifests, live } = await this.liveManifests(
          await this.query.listVersions(pkg.id, true),
          olderThan,
        );
        return manifests.filter((v) => !live.has(v.version));
      },
    });
  }

  async run(olderThanUnix: number): Promise<void> {
    let after: [string, string] | undefined;
    for (;;) {
      const batch = await this.catalog.listAcrossOwners(PackageType.Container, after, BATCH);
      for (const entry of batch) await this.collectImage(entry.package, olderThanUnix);
      if (batch.length < BATCH) return;
      after = [batch[batch.length - 1].owner.lowerName, batch[batch.length - 1].package.lowerName];
    }
  }

  async collectImage(pkg: PackageEntity, cutoff: number): Promise<void> {
    const versions = await this.query.listVersions(pkg.id, true);
    const { manifests, meta, live } = await this.liveManifests(versions, cutoff);
    for (const v of manifests) if (!live.has(v.version)) await this.packages.deleteVersion(v.id);
    const used = new Set([...live].flatMap((d) => meta.get(d)?.blobs ?? []));
    const links = versions.find((v) => v.version === BLOBS_VERSION);
    if (!links) return;
    for (const { file } of await this.query.listFiles(links.id)) {
      if (file.createdUnix <= cutoff && !used.has(file.name))
        await this.packages.deleteFile(file.id, false);
    }
  }

  /**
   * The image's manifests and the digests that are live: tagged, younger than `cutoff`,
   * listed by a live index, or referring to a live `subject` (grown to a fixed point).
   */
  private async liveManifests(versions: PackageVersionEntity[], cutoff: number) {
    const manifests = versions.filter((v) => isDigest(v.version));
    const tags = versions.filter((v) => !v.isInternal && !isDigest(v.version));
    const meta = new Map(
      manifests.map((v) => [v.version, JSON.parse(v.metadataJson ?? '{}') as ManifestMetadata]),
    );
    const live = new Set<string>(
      manifests.filter((v) => v.createdUnix > cutoff).map((v) => v.version),
    );
    for (const tag of tags) {
      const file = await this.query.findFile(tag.id, MANIFEST_FILE);
      const props =
        file && (await this.query.getProperties(PropertyRefType.File, [file.id])).get(file.id);
      const digest = props?.[PROP.digest]?.[0];
      if (digest) live.add(digest);
    }
    for (let grew = true; grew;) {
      grew = false;
      for (const [digest, m] of meta) {
        if (live.has(digest)) {
          for (const child of m.manifests ?? []) if (!live.has(child)) grew = !!live.add(child);
        } else if (m.subject && live.has(m.subject)) {
          grew = !!live.add(digest);
        }
      }
    }
    return { manifests, meta, live };
  }
}

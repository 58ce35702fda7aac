import { createHash } from 'node:crypto';
import semver from 'semver';
import { stringify } from 'yaml';
import type { HelmChartMetadata } from './helm.metadata';

/** One chart version as the index lists it. */
export interface IndexedChart {
  metadata: HelmChartMetadata;
  /** Stored file name (`<name>-<version>.tgz`, lower case). */
  filename: string;
  sha256: string;
  createdUnix: number;
  /** When the archive was last (re-)uploaded. */
  updatedUnix: number;
}

export interface IndexDocument {
  body: string;
  /** Changes whenever an entry does (not with `generated`): a weak validator. */
  etag: string;
  /** The newest upload; undefined for an empty index. A deletion does not move it: the ETag does. */
  lastModified?: Date;
}

/**
 * `index.yaml` (docs/protocols/helm.md §4, Helm's repository index format): entries by chart name, each
 * version's Chart.yaml fields plus `urls`, `digest` and `created`. `contextPath` is the
 * path part of the repository URL (cm-push builds its upload URL from it).
 */
export function buildIndexYaml(charts: IndexedChart[], repoUrl: string, now: Date): IndexDocument {
  const entries = chartEntries(charts, repoUrl);
  const stable = {
    apiVersion: 'v1',
    entries,
    serverInfo: { contextPath: new URL(repoUrl).pathname },
  };
  const etag = `W/"${createHash('sha256').update(JSON.stringify(stable)).digest('hex')}"`;
  const body = stringify(
    { apiVersion: 'v1', entries, generated: now.toISOString(), serverInfo: stable.serverInfo },
    { lineWidth: 0 },
  );
  const newest = Math.max(0, ...charts.map((c) => c.updatedUnix));
  return { body, etag, lastModified: newest ? new Date(newest * 1000) : undefined };
}

/** One version as index.yaml and ChartMuseum's `/api/charts` list it. */
export function chartEntry(chart: IndexedChart, repoUrl: string): Record<string, unknown> {
  return {
    ...chart.metadata,
    // Helm only sends repository credentials to the index's own host: keep URLs on it.
    urls: [`${repoUrl}/${encodeURIComponent(chart.filename)}`],
    created: new Date(chart.createdUnix * 1000).toISOString(),
    digest: chart.sha256,
  };
}

/**
 * Entries by chart name, highest version first as `helm repo index` sorts them (SemVer
 * order, then newest upload): index.yaml's `entries` and ChartMuseum's `GET /api/charts`.
 */
export function chartEntries(
  charts: IndexedChart[],
  repoUrl: string,
): Record<string, Record<string, unknown>[]> {
  const entries: Record<string, Record<string, unknown>[]> = {};
  const sorted = [...charts].sort(
    (a, b) =>
      semver.rcompare(a.metadata.version, b.metadata.version) ||
      b.createdUnix - a.createdUnix ||
      a.filename.localeCompare(b.filename),
  );
  for (const chart of sorted)
    (entries[chart.metadata.name] ??= []).push(chartEntry(chart, repoUrl));
  return entries;
}

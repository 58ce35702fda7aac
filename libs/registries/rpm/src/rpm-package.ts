import { Readable } from 'node:stream';
import {
  ArchiveBudgetError,
  readRpm,
  RpmHeaders,
  RpmPackageInfo,
  rpmPackageInfo,
  walkRpmPayload,
} from '@wharf/packages-core';

/*
 * Reads an uploaded rpm whole, once, through core's readers (docs/protocols/rpm.md §3):
 * the headers (their digests checked), then every entry of the payload under budgets, so
 * an unsafe name (`..`, absolute), a bomb or a payload that does not match its digest
 * refuses the upload. Symbolic links pass (every library package has them; rpm installs
 * them into the system root, where targets outside the package are normal); device nodes,
 * fifos and sockets do not. Nothing is extracted; an entry's data is counted and dropped.
 */

export interface RpmLimits {
  /** Bytes of one header (signature or main) read into memory. */
  maxHeader: number;
  /** Unpacked payload bytes allowed per stored byte… */
  maxRatio: number;
  /** …but never fewer than this. */
  minUnpacked: number;
  /** Entries of the payload. */
  maxEntries: number;
}

export const DEFAULT_RPM_LIMITS: RpmLimits = {
  maxHeader: 32 * 1024 * 1024,
  maxRatio: 100,
  minUnpacked: 256 * 1024 * 1024,
  maxEntries: 200_000,
};

export interface InspectedRpm extends RpmHeaders {
  info: RpmPackageInfo;
}

/** The headers and package fields of the rpm in `file` (`size` bytes), its payload walked. */
export async function inspectRpm(
  file: Readable,
  size: number,
  limits: RpmLimits = DEFAULT_RPM_LIMITS,
): Promise<InspectedRpm> {
  const rpm = await readRpm(file, { maxHeaderSize: limits.maxHeader, label: 'the rpm' });
  let info: RpmPackageInfo;
  try {
    info = rpmPackageInfo(rpm.header, rpm.signature);
  } catch (err) {
    rpm.payload.destroy();
    throw err;
  }
  const maxUnpacked = Math.max(limits.minUnpacked, size * limits.maxRatio);
  if (info.archiveSize !== undefined && info.archiveSize > maxUnpacked) {
    rpm.payload.destroy();
    throw new ArchiveBudgetError(
      `the rpm's payload declares ${info.archiveSize} unpacked bytes; at most ${maxUnpacked} are accepted for a package of this size`,
    );
  }
  // The headers say how large the cpio archive is, to the byte: a payload that unpacks to
  // more is stopped there, however much the budget would still allow.
  const entries = walkRpmPayload(rpm.header, rpm.payload, {
    maxEntrySize: 0,
    maxUnpacked: Math.min(maxUnpacked, info.archiveSize ?? maxUnpacked),
    maxEntries: limits.maxEntries,
    allowLinks: true,
    label: "the rpm's payload",
  });
  for await (const entry of entries) for await (const chunk of entry.stream()) void chunk;
  return { lead: rpm.lead, signature: rpm.signature, header: rpm.header, layout: rpm.layout, info };
}

import { Initial1764165600000 } from './1764165600000-Initial';
import { DocumentGeneration1796500000000 } from './1796500000000-DocumentGeneration';
import { VersionListIndex1796600000000 } from './1796600000000-VersionListIndex';
import { UserSetting1796800000000 } from './1796800000000-UserSetting';
import { IndexSegment1797000000000 } from './1797000000000-IndexSegment';
import { QuotaAndCleanupRules1797100000000 } from './1797100000000-QuotaAndCleanupRules';
import { WebSession1797200000000 } from './1797200000000-WebSession';
import { LazyBlobDigests1797300000000 } from './1797300000000-LazyBlobDigests';

/** Every migration, in order. Listed explicitly so the bundled server needs no glob. */
export const MIGRATIONS = [
  Initial1764165600000,
  DocumentGeneration1796500000000,
  VersionListIndex1796600000000,
  UserSetting1796800000000,
  IndexSegment1797000000000,
  QuotaAndCleanupRules1797100000000,
  WebSession1797200000000,
  LazyBlobDigests1797300000000,
];

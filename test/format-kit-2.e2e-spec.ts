import { describeFormatKit } from './support/format-kit';
import { PROFILES } from './support/format-kit/profiles';

// The kit over every landed format is split in three files (PROFILES.slice), so that both
// Jest workers share it; test/support/format-kit/profiles.ts holds the profiles.
for (const profile of PROFILES.slice(8, 16)) describeFormatKit(profile);

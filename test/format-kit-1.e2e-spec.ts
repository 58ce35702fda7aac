import { Readable } from 'node:stream';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BLOB_STORAGE, BlobStorage, generateStorageId, uploadKey } from '@wharf/packages-core';
import { describeEachBackend } from './support/backends';
import { describeFormatKit, storedState } from './support/format-kit';
import { PROFILES } from './support/format-kit/profiles';
import { startTestApp, TestApp } from './support/test-app';

// The kit over every landed format is split in three files (PROFILES.slice), so that both
// Jest workers share it; test/support/format-kit/profiles.ts holds the profiles.
for (const profile of PROFILES.slice(0, 8)) describeFormatKit(profile);

describeEachBackend('format kit: its leftover check', (backend) => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp(backend)));
  afterAll(() => t?.close());

  it('sees a staging object left in storage and a file left in the data directory', async () => {
    const before = await storedState(t);
    const storage = t.app.get<BlobStorage>(BLOB_STORAGE);
    const key = uploadKey(generateStorageId());
    await storage.put(key, Readable.from([Buffer.from('left behind')]));
    const stray = path.join(t.config.dataDir, 'stray.tmp');
    writeFileSync(stray, 'left behind');
    try {
      expect(await storedState(t)).toEqual({
        ...before,
        objects: [...before.objects, key].sort(),
        debris: [...before.debris, 'stray.tmp'].sort(),
      });
    } finally {
      await storage.delete(key);
      rmSync(stray);
    }
    expect(await storedState(t)).toEqual(before);
  });
});

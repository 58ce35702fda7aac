import { buildArtifactMetadata, digestOf } from './maven.documents';

describe('buildArtifactMetadata', () => {
  const c = { groupId: 'com.gitea', artifactId: 'test-project' };

  it('lists versions in upload order with latest, release and lastUpdated', () => {
    const xml = buildArtifactMetadata(c, [
      { version: '1.0.1', createdUnix: 1767268800 },
      { version: '1.1.0-SNAPSHOT', createdUnix: 1767268900 },
      { version: '0.9', createdUnix: 1767268850 },
    ]);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<metadata><groupId>com.gitea</groupId><artifactId>test-project</artifactId><versioning>' +
        '<latest>1.1.0-SNAPSHOT</latest><release>0.9</release><versions><version>1.0.1</version><version>0.9</version>' +
        '<version>1.1.0-SNAPSHOT</version></versions><lastUpdated>20260101120140</lastUpdated></versioning></metadata>\n',
    );
  });

  it('omits release when there are only snapshots, and escapes every value', () => {
    const xml = buildArtifactMetadata({ groupId: 'a&b', artifactId: '<x>' }, [
      { version: '1.0-SNAPSHOT', createdUnix: 0 },
    ]);
    expect(xml).not.toContain('<release>');
    expect(xml).toContain('<groupId>a&amp;b</groupId><artifactId>&lt;x&gt;</artifactId>');
  });

  it('digests the exact bytes', () => {
    expect(digestOf('test', 'md5')).toBe('098f6bcd4621d373cade4e832627b4f6');
    expect(digestOf('test', 'sha1')).toBe('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3');
  });
});

import { buildBoxCatalog } from './vagrant.documents';

describe('buildBoxCatalog', () => {
  const provider = (name: string, version: string) => ({
    name,
    url: `https://wharf.example/api/packages/alice/vagrant/box/${version}/${name}.box`,
    sha512: 'ab'.repeat(64),
  });

  it("writes Forgejo's catalog: versions oldest first, providers by name, the newest description", () => {
    const doc = JSON.parse(
      buildBoxCatalog('box', [
        { version: '1.10.0', description: 'newest', providers: [provider('virtualbox', '1.10.0')] },
        {
          version: '1.2.0',
          description: 'older',
          providers: [provider('virtualbox', '1.2.0'), provider('libvirt', '1.2.0')],
        },
      ]),
    );
    expect(doc).toEqual({
      name: 'box',
      description: 'newest',
      versions: [
        {
          version: '1.2.0',
          status: 'active',
          providers: ['libvirt', 'virtualbox'].map((name) => ({
            name,
            url: `https://wharf.example/api/packages/alice/vagrant/box/1.2.0/${name}.box`,
            checksum: 'ab'.repeat(64),
            checksum_type: 'sha512',
          })),
        },
        {
          version: '1.10.0',
          status: 'active',
          providers: [
            {
              name: 'virtualbox',
              url: 'https://wharf.example/api/packages/alice/vagrant/box/1.10.0/virtualbox.box',
              checksum: 'ab'.repeat(64),
              checksum_type: 'sha512',
            },
          ],
        },
      ],
    });
  });

  it('leaves description out when the newest version has none', () => {
    const doc = JSON.parse(
      buildBoxCatalog('box', [
        { version: '1.0.0', description: 'old', providers: [] },
        { version: '2.0.0', providers: [] },
      ]),
    );
    expect(doc).not.toHaveProperty('description');
  });
});

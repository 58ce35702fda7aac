import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describeIf } from '../../../packages-core/src/testing/test-env';
import { buildInfo, buildNames, buildVersions, md5 } from './rubygems.compact-index';
import {
  buildDependencies,
  buildQuickSpec,
  buildSpecsList,
  IndexedGem,
  marshal,
} from './rubygems.documents';
import { GemMetadata, readGem } from './rubygems.metadata';

const rubyFound = spawnSync('ruby', ['-e', 'exit 0']).status === 0;
const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name));

/** Runs `script` in the real ruby with the file holding `bytes` as ARGV[0]; returns stdout. */
function ruby(script: string, bytes: Buffer, dir: string): string {
  const file = path.join(dir, `in-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, bytes);
  const run = spawnSync('ruby', ['-rzlib', '-rrubygems', '-e', script, file], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`ruby failed: ${run.stderr}`);
  return run.stdout.trim();
}

describeIf(rubyFound, 'ruby (apt-get install ruby)', 'Marshal documents read back by ruby', () => {
  let dir: string;
  let gems: IndexedGem[];
  let hello: GemMetadata;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-marshal-'));
    const read = async (f: string, createdUnix: number): Promise<IndexedGem> => ({
      metadata: await readGem(Readable.from([fixture(f)])),
      sha256: 'a'.repeat(64),
      createdUnix,
    });
    gems = [
      await read('wharf-hello-1.2.0.gem', 10),
      await read('wharf-hello-2.0.0.pre1.gem', 20),
      await read('wharf-hello-1.2.0-x86_64-linux.gem', 30),
    ];
    hello = gems[0].metadata;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes values exactly as Marshal.dump does', () => {
    const dumped = ruby(
      'print Marshal.dump([nil, true, false, 0, 1, 122, 123, 255, 256, 65536, -1, -123, -124, -256, -65537, 2**29, "héllo", :sym, :sym, {"k" => [1]}, Gem::Version.new("1.0.5")]).unpack1("H*")',
      Buffer.alloc(0),
      dir,
    );
    const ours = marshal([
      null,
      true,
      false,
      0,
      1,
      122,
      123,
      255,
      256,
      65536,
      -1,
      -123,
      -124,
      -256,
      -65537,
      2 ** 29,
      'héllo',
      { symbol: 'sym' },
      { symbol: 'sym' },
      { hash: [['k', [1]]] },
      { userMarshal: 'Gem::Version', value: ['1.0.5'] },
    ]);
    expect(ours.toString('hex')).toBe(dumped);
  });

  it('specs.4.8.gz, latest_specs and prerelease_specs load as RubyGems reads them', () => {
    const load = (list: 'specs' | 'latest_specs' | 'prerelease_specs') =>
      ruby(
        'p Marshal.load(Zlib.gunzip(File.binread(ARGV[0]))).map { |n, v, pl| [n, v.class.name, v.to_s, pl] }',
        buildSpecsList(gems, list),
        dir,
      );
    expect(load('specs')).toBe(
      '[["wharf-hello", "Gem::Version", "1.2.0", "ruby"], ["wharf-hello", "Gem::Version", "1.2.0", "x86_64-linux"]]',
    );
    expect(load('latest_specs')).toBe(load('specs'));
    expect(load('prerelease_specs')).toBe(
      '[["wharf-hello", "Gem::Version", "2.0.0.pre1", "ruby"]]',
    );
    expect(
      ruby('p Marshal.load(Zlib.gunzip(File.binread(ARGV[0])))', buildSpecsList([], 'specs'), dir),
    ).toBe('[]');
  });

  it('quick/Marshal.4.8 gemspec.rz loads into the Gem::Specification gem build wrote', () => {
    // The spec from the .gem itself (Psych) and ours (Marshal) must agree on what gem install
    // uses. Not the licenses: Gem::Specification._load puts field 17 into @license, which
    // #licenses never reads, so they are lost from every quick spec, rubygems.org's too.
    const show =
      'puts [s.name, s.version.to_s, s.platform.to_s, s.summary, s.authors.inspect, s.email.inspect, s.homepage, s.metadata.inspect, s.required_ruby_version.to_s, s.required_rubygems_version.to_s, s.date.strftime("%F"), s.dependencies.map { |d| [d.name, d.type, d.requirement.to_s] }.inspect, s.runtime_dependencies.map(&:to_s).inspect].join("\\n")';
    const ours = ruby(
      `s = Marshal.load(Zlib::Inflate.inflate(File.binread(ARGV[0]))); ${show}`,
      buildQuickSpec(hello),
      dir,
    );
    const real = ruby(
      `require "rubygems/package"; s = Gem::Package.new(ARGV[0]).spec; ${show}`,
      fixture('wharf-hello-1.2.0.gem'),
      dir,
    );
    expect(ours).toBe(real);
    expect(ours).toContain('rake');
  });

  it('a platform gem quick spec keeps its platform', () => {
    const out = ruby(
      's = Marshal.load(Zlib::Inflate.inflate(File.binread(ARGV[0]))); puts s.full_name, s.original_platform',
      buildQuickSpec(gems[2].metadata),
      dir,
    );
    expect(out).toBe('wharf-hello-1.2.0-x86_64-linux\nx86_64-linux');
  });

  it('the dependency API body is the Marshal of hashes with symbol keys Bundler expects', () => {
    expect(ruby('p Marshal.load(File.binread(ARGV[0]))', buildDependencies([hello]), dir)).toBe(
      '[{:name=>"wharf-hello", :number=>"1.2.0", :platform=>"ruby", :dependencies=>[["rake", ">= 1.2.0, < 2.0"], ["json", ">= 0"]]}]',
    );
  });
});

describe('the compact index', () => {
  const meta = (version: string, extra: Partial<GemMetadata> = {}): GemMetadata => ({
    name: 'gitea',
    version,
    platform: 'ruby',
    dependencies: [],
    ...extra,
  });
  // Forgejo's expectations (docs/protocols/rubygems.md §7), with the upstream `-platform` form.
  const gitea: IndexedGem = {
    metadata: meta('1.0.5', {
      dependencies: [
        {
          name: 'runtime-dep',
          type: 'runtime',
          requirement: [
            ['>=', '1.2.0'],
            ['<', '2.0'],
          ],
        },
        { name: 'dev-dep', type: 'development', requirement: [['~>', '5.2']] },
      ],
      requiredRubyVersion: [['>=', '2.3.0']],
      requiredRubygemsVersion: [['>=', '1.0']],
    }),
    sha256: 'c'.repeat(64),
    createdUnix: 100,
  };

  it('writes /info lines: runtime dependencies, checksum, ruby and rubygems requirements', () => {
    const java = {
      metadata: meta('1.0.6', { platform: 'java' }),
      sha256: 'd'.repeat(64),
      createdUnix: 200,
    };
    expect(buildInfo([java, gitea])).toBe(
      `---\n1.0.5 runtime-dep:>= 1.2.0&< 2.0|checksum:${'c'.repeat(64)},ruby:>= 2.3.0,rubygems:>= 1.0\n1.0.6-java |checksum:${'d'.repeat(64)}\n`,
    );
  });

  it('writes /versions with the MD5 of each /info body, and /names', () => {
    const other = {
      metadata: { ...meta('0.99'), name: 'gitea-another' },
      sha256: 'e'.repeat(64),
      createdUnix: 50,
    };
    const body = buildVersions([gitea, other]);
    expect(body).toBe(
      `created_at: 1970-01-01T00:01:40Z\n---\ngitea 1.0.5 ${md5(buildInfo([gitea]))}\ngitea-another 0.99 ${md5(buildInfo([other]))}\n`,
    );
    expect(buildVersions([])).toBe('created_at: 1970-01-01T00:00:00Z\n---\n');
    expect(buildNames(['b', 'a'])).toBe('---\na\nb\n');
  });
});

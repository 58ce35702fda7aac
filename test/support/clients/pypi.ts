import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Builds a pure-Python wheel and an sdist with the standard library only (no setuptools/wheel
// needed to build, no network): a wheel is a zip with METADATA, WHEEL and a RECORD of hashes.
const BUILD = String.raw`
import base64, hashlib, io, os, sys, tarfile, zipfile
name, version, out = sys.argv[1:4]
dist = name.replace('-', '_').replace('.', '_')
meta = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: A demo package for Wharf\n"
        "Home-page: https://example.com/demo\nAuthor: Wharf Tests\nRequires-Python: >=3.7\n"
        "Project-URL: Homepage, https://example.com/home\n\nLong description of %s.\n") % (name, version, name)
code = "VERSION = %r\n" % version
info = "%s-%s.dist-info" % (dist, version)
files = {
  dist + "/__init__.py": code,
  info + "/METADATA": meta,
  info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: wharf-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
  info + "/top_level.txt": dist + "\n",
}
def digest(data):
  return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join("%s,%s,%d\n" % (p, digest(c.encode()), len(c.encode())) for p, c in files.items()) + info + "/RECORD,,\n"
wheel = os.path.join(out, "%s-%s-py3-none-any.whl" % (dist, version))
with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
  for p, c in files.items():
    z.writestr(p, c)
  z.writestr(info + "/RECORD", record)
base = "%s-%s" % (dist, version)
# An in-tree PEP 517 backend with no requirements: pip builds the sdist offline, without setuptools or wheel.
backend = """import os, zipfile
NAME, DIST, VERSION = %r, %r, %r
INFO = DIST + "-" + VERSION + ".dist-info"
def _meta():
    with open("PKG-INFO") as f:
        return f.read()
def get_requires_for_build_wheel(config_settings=None):
    return []
def get_requires_for_build_sdist(config_settings=None):
    return []
def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    os.makedirs(os.path.join(metadata_directory, INFO))
    with open(os.path.join(metadata_directory, INFO, "METADATA"), "w") as f:
        f.write(_meta())
    return INFO
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = DIST + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        z.write(os.path.join(DIST, "__init__.py"), DIST + "/__init__.py")
        z.writestr(INFO + "/METADATA", _meta())
        z.writestr(INFO + "/WHEEL", "Wheel-Version: 1.0\\nGenerator: wharf-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
        z.writestr(INFO + "/RECORD", "")
    return name
""" % (name, dist, version)
pyproject = '[build-system]\nrequires = []\nbuild-backend = "wharf_backend"\nbackend-path = ["."]\n'
sdist = os.path.join(out, base + ".tar.gz")
with tarfile.open(sdist, "w:gz", format=tarfile.PAX_FORMAT) as t:
  for p, c in {"PKG-INFO": meta, "pyproject.toml": pyproject, "wharf_backend.py": backend, dist + "/__init__.py": code}.items():
    data = c.encode()
    ti = tarfile.TarInfo(base + "/" + p)
    ti.size = len(data)
    ti.mtime = 1700000000
    t.addfile(ti, io.BytesIO(data))
print(wheel)
print(sdist)
`;

/** Builds `<name>-<version>` as a wheel and an sdist in `out`; returns their paths. */
export function buildDistributions(
  name: string,
  version: string,
  out: string,
): { wheel: string; sdist: string } {
  const res = spawnSync('python3', ['-c', BUILD, name, version, out], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`building the distributions failed: ${res.stderr}`);
  const [wheel, sdist] = res.stdout.trim().split('\n');
  return { wheel, sdist };
}

export function findTwine(): { available: boolean; missing: string } {
  const twine = spawnSync('twine', ['--version'], { encoding: 'utf8' });
  const pip = spawnSync('python3', ['-m', 'pip', '--version'], { encoding: 'utf8' });
  if (twine.status !== 0) return { available: false, missing: "twine (Debian's twine package)" };
  if (pip.status !== 0) return { available: false, missing: 'pip (python3 -m pip)' };
  return { available: true, missing: '' };
}

/** A scratch HOME for twine and pip, so no ~/.pypirc, pip.conf or keyring of the machine is used. */
export class PythonSandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-pypi-'));

  run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        cmd,
        args,
        {
          cwd: this.home,
          timeout: 180_000,
          env: {
            PATH: process.env.PATH!,
            HOME: this.home,
            PIP_CONFIG_FILE: '/dev/null',
            PIP_DISABLE_PIP_VERSION_CHECK: '1',
            PIP_NO_INPUT: '1',
            PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
          },
        },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            out: `${stdout}${stderr}`,
          }),
      );
    });
  }

  read(file: string): string {
    return readFileSync(file, 'utf8');
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

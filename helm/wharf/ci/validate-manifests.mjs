// Validates rendered Kubernetes manifests (multi-document YAML on stdin) against the
// Kubernetes OpenAPI schemas shipped by the `kubernetes-models` packages (ESM only,
// hence a script of its own). Prints one line per object; exits 1 if any is invalid,
// of a kind it has no schema for, or not clean YAML: a duplicate key (which the API
// server would resolve silently, last one wins) is an error.
import { parseAllDocuments } from 'yaml';

const input = await new Promise((resolve) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => (text += d));
  process.stdin.on('end', () => resolve(text));
});

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com') {
    return (await import(`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`))[
      kind
    ];
  }
  return (await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`))[kind];
}

let failed = 0;
let count = 0;
for (const doc of parseAllDocuments(input, { uniqueKeys: true })) {
  const obj = doc.toJSON();
  if (!obj) continue;
  count++;
  const name = `${obj.kind}/${obj.metadata?.name}`;
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length) {
    failed++;
    console.log(
      `INVALID ${name}: ${problems.map((e) => `${e.code} ${e.message.split('\n')[0]}`).join('; ')}`,
    );
    continue;
  }
  try {
    const Model = await modelFor(obj.apiVersion, obj.kind);
    new Model(obj).validate();
    console.log(`valid ${name}`);
  } catch (err) {
    failed++;
    console.log(
      `INVALID ${name}: ${String(err.message ?? err)
        .split('\n')
        .slice(0, 5)
        .join(' ')}`,
    );
  }
}
console.log(`${count} objects, ${failed} invalid`);
process.exit(failed || count === 0 ? 1 : 0);

import { checkName, InvalidArtifactError } from '@wharf/packages-core';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  chartFileName,
  HELM_CHART_NAME,
  HELM_FILENAME,
  HELM_VERSION,
  parseChartYaml,
} from './helm.metadata';

/*
 * Issue 11: the grammars refuse attacks, not real charts. The chart Forgejo's Helm
 * integration test publishes (tests/integration/api_packages_helm_test.go) must pass.
 */
const FORGEJO = { name: 'test-chart', version: '1.0.3', filename: 'test-chart-1.0.3.tgz' };

describe("Forgejo's Helm fixtures", () => {
  it('accepts the chart name, version and file name', () => {
    expect(() => checkName(FORGEJO.name, HELM_CHART_NAME)).not.toThrow();
    expect(() => checkName(FORGEJO.version, HELM_VERSION)).not.toThrow();
    expect(() => checkName(FORGEJO.filename, HELM_FILENAME)).not.toThrow();
    const meta = parseChartYaml(
      `apiVersion: v2\nname: ${FORGEJO.name}\ntype: application\nversion: ${FORGEJO.version}\n` +
        'dependencies:\n- name: dep1\n  repository: https://example.com/\n  version: 1.0.0',
    );
    expect(chartFileName(meta)).toBe(FORGEJO.filename);
  });
});

describe('Helm grammars against the hostile corpus', () => {
  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))('refuses %s', (_l, { value, fileNameOnly }) => {
    expect(() => checkName(value, HELM_FILENAME)).toThrow(/^invalid chart file name/);
    if (fileNameOnly) return;
    expect(() => checkName(value, HELM_CHART_NAME)).toThrow(/^invalid chart name/);
    expect(() => checkName(value, HELM_VERSION)).toThrow(/^invalid chart version/);
    expect(() =>
      parseChartYaml(`apiVersion: v2\nname: ${JSON.stringify(value)}\nversion: 1.0.0\n`),
    ).toThrow(InvalidArtifactError);
  });
});

// Chart.yaml is YAML from strangers: every hostile document is a 400, none a crash or a hang.
describe('hostile Chart.yaml documents', () => {
  const laughs = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++)
    laughs.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(',')}]`,
    );

  it.each([
    ['flow sequences nested 100,000 deep', `x: ${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['flow mappings nested 50,000 deep', `x: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}`],
    [
      'block sequences nested 2,000 deep',
      `x:\n${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}`,
    ],
    ['compact sequences nested 100,000 deep', `${'- '.repeat(100_000)}1`],
  ])('refuses %s by its depth', (_what, text) => {
    expect(() => parseChartYaml(text)).toThrow(/nested more than 64 levels deep/);
  });

  it('refuses a billion-laughs alias bomb', () => {
    expect(() => parseChartYaml(`apiVersion: v2\n${laughs.join('\n')}`)).toThrow(
      /Chart.yaml is not valid YAML: .*alias/i,
    );
  });

  it.each([
    [
      'a tag asking for code',
      'apiVersion: v2\nname: !!js/function "function(){}"\nversion: 1.0.0',
      /invalid chart name/,
    ],
    [
      'a binary tag',
      'apiVersion: v2\nname: a\nversion: 1.0.0\ndescription: !!binary aGVsbG8=',
      /description in Chart.yaml must be a string/,
    ],
    ['binary garbage', '\u0000\u0001\u0002\uFFFE', /must be a YAML mapping|not valid YAML/],
  ])('refuses %s with a 400', (_what, text, reason) => {
    expect(() => parseChartYaml(text)).toThrow(reason);
  });

  it('still reads a chart with ordinary nesting', () => {
    const meta = parseChartYaml(
      'apiVersion: v2\nname: a\nversion: 1.0.0\ndependencies:\n- name: b\n  import-values:\n  - child: x.y\n    parent: z\n',
    );
    expect(meta.dependencies?.[0]['import-values']).toEqual([{ child: 'x.y', parent: 'z' }]);
  });
});

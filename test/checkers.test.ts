/**
 * B15: what .ci/checkers does with the checkers' output: every finding is read from each checker's
 * JSON, and held against the committed list of accepted findings; a finding nobody accepted fails,
 * an accepted one that no longer occurs is reported. The checkers themselves run in CI only.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import {
  AcceptedFindingsError, checkovFindings, Finding, hadolintFindings, judge, kubeconformFindings, kubeScoreFindings, parseAccepted,
} from '../lib/checkers/findings';
import { kubeconformFileName } from '../lib/checkers/schemas';

const ROOT = path.resolve(__dirname, '..');
const ACCEPTED_FILE = path.join(ROOT, '.ci', 'accepted-findings.yaml');

const finding = (rule: string, target: string): Finding => ({ checker: 'kube-score', rule, target, message: 'm' });
const accepted = (text: string) => parseAccepted(text, 'accepted.yaml');

describe('B15 findings against the accepted list', () => {
  const entries = accepted(`
- checker: kube-score
  rule: container-image-pull-policy
  targets: ['Deployment/* *']
  reason: images are built inside minikube
- checker: kube-score
  rule: deployment-has-host-podantiaffinity
  targets: [Deployment/mysql, Deployment/gone]
  reason: one node
`);

  test('B15 a finding no entry accepts is new, so it fails', () => {
    const verdict = judge([finding('container-resources', 'Deployment/mysql mysql')], entries);
    expect(verdict.unaccepted).toEqual([finding('container-resources', 'Deployment/mysql mysql')]);
  });

  test('B15 the same rule on an object its entry does not name is new', () => {
    expect(judge([finding('deployment-has-host-podantiaffinity', 'Deployment/nginx')], entries).unaccepted).toHaveLength(1);
  });

  test('B15 the same rule and target from another checker is new', () => {
    const other: Finding = { ...finding('container-image-pull-policy', 'Deployment/a b'), checker: 'checkov' };
    expect(judge([other], entries).unaccepted).toEqual([other]);
  });

  test('B15 * matches any text in a target, and only there', () => {
    const verdict = judge([finding('container-image-pull-policy', 'Deployment/mysql mysql'), finding('container-image-pull-policy', 'StatefulSet/x y')], entries);
    expect(verdict.accepted.map((a) => a.finding.target)).toEqual(['Deployment/mysql mysql']);
    expect(verdict.unaccepted.map((f) => f.target)).toEqual(['StatefulSet/x y']);
  });

  test('B15 a target of an entry that matches nothing is reported as stale', () => {
    const verdict = judge([finding('container-image-pull-policy', 'Deployment/a b'), finding('deployment-has-host-podantiaffinity', 'Deployment/mysql')], entries);
    expect(verdict.unaccepted).toEqual([]);
    expect(verdict.stale.map(({ entry, target }) => `${entry.rule} ${target}`)).toEqual(['deployment-has-host-podantiaffinity Deployment/gone']);
  });

  test.each([
    ['not a list', 'checker: kube-score', /YAML list/],
    ['a YAML error', '- reason: a: b', /not valid YAML/],
    ['an unknown checker', '- { checker: polaris, rule: r, targets: [a], reason: why }', /checker "polaris"/],
    ['no targets', '- { checker: hadolint, rule: DL3018, targets: [], reason: why }', /DL3018.*targets/],
    ['no reason', '- { checker: hadolint, rule: DL3018, targets: [a], reason: " " }', /DL3018.*reason/],
  ])('B15 an accepted-findings file with %s is refused, naming the entry', (_, text, message) => {
    expect(() => accepted(text)).toThrow(AcceptedFindingsError);
    expect(() => accepted(text)).toThrow(message);
  });

  test('B15 the committed list is valid and gives every entry a reason', () => {
    const committed = parseAccepted(fs.readFileSync(ACCEPTED_FILE, 'utf8'), ACCEPTED_FILE);
    expect(committed.length).toBeGreaterThan(0);
  });
});

describe('B15 reading each checker\'s JSON output', () => {
  test('B15 kube-score: every WARNING or CRITICAL check, one per comment path, skipped and OK ones not', () => {
    const output = JSON.stringify([{
      type_meta: { kind: 'Deployment' }, object_meta: { name: 'web' },
      checks: [
        { check: { id: 'container-resources', name: 'Container Resources' }, grade: 1, skipped: false, comments: [{ path: 'nginx', summary: 'no limit' }, { path: 'sidecar', summary: 'no limit' }] },
        { check: { id: 'pod-probes', name: 'Pod Probes' }, grade: 5, skipped: false, comments: null },
        { check: { id: 'container-image-tag', name: 'Image Tag' }, grade: 7, skipped: false, comments: [] },
        { check: { id: 'pod-networkpolicy', name: 'NetworkPolicy' }, grade: 1, skipped: true, comments: [] },
      ],
    }]);
    expect(kubeScoreFindings(output).map((f) => `${f.rule} ${f.target}`)).toEqual([
      'container-resources Deployment/web nginx', 'container-resources Deployment/web sidecar', 'pod-probes Deployment/web',
    ]);
  });

  test('B15 Checkov: every failed check, by Kind/name of its resource', () => {
    const output = JSON.stringify({ check_type: 'kubernetes', results: { failed_checks: [
      { check_id: 'CKV_K8S_43', check_name: 'Image should use digest', resource: 'Deployment.ft-services.ft-services-mysql' },
    ], passed_checks: [{ check_id: 'CKV_K8S_1', check_name: 'ok', resource: 'Deployment.ft-services.ft-services-mysql' }] } });
    expect(checkovFindings(output).map((f) => `${f.rule} ${f.target}`)).toEqual(['CKV_K8S_43 Deployment/ft-services-mysql']);
  });

  test('B15 kubeconform: invalid, error and skipped resources are findings, valid and empty ones not', () => {
    const output = JSON.stringify({ resources: ['statusValid', 'statusInvalid', 'statusError', 'statusSkipped', 'statusEmpty'].map((status, i) =>
      ({ kind: 'Service', name: `s${i}`, status, msg: '' })) });
    expect(kubeconformFindings(output, 'v1.27.0').map((f) => `${f.rule} ${f.target}`)).toEqual([
      'statusInvalid Service/s1 on Kubernetes v1.27.0', 'statusError Service/s2 on Kubernetes v1.27.0', 'statusSkipped Service/s3 on Kubernetes v1.27.0',
    ]);
  });

  test('B15 hadolint: every rule broken, by Dockerfile, the line only in the message', () => {
    const output = JSON.stringify([{ code: 'DL3018', file: 'srcs/ftps/Dockerfile', line: 5, level: 'warning', message: 'Pin versions' }]);
    expect(hadolintFindings(output)).toEqual([{ checker: 'hadolint', rule: 'DL3018', target: 'srcs/ftps/Dockerfile', message: 'line 5: Pin versions' }]);
  });
});

describe('B15 the judge command', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-checkers-test-'));
    fs.writeFileSync(path.join(dir, 'kube-score.json'), '[]');
    fs.writeFileSync(path.join(dir, 'checkov.json'), '{"results":{"failed_checks":[]}}');
    for (const version of ['v1.27.0', 'v1.35.0']) fs.writeFileSync(path.join(dir, `kubeconform-${version}.json`), '{"resources":[]}');
    fs.writeFileSync(path.join(dir, 'accepted.yaml'), '- { checker: hadolint, rule: DL3018, targets: [srcs/ftps/Dockerfile], reason: why }\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const judgeWith = (hadolint: object[]) => {
    fs.writeFileSync(path.join(dir, 'hadolint.json'), JSON.stringify(hadolint));
    return spawnSync('npx', ['ts-node', '--transpile-only', 'bin/checkers.ts', 'judge', dir, '--accepted', path.join(dir, 'accepted.yaml')], { cwd: ROOT, encoding: 'utf8' });
  };

  test('B15 exits 1 on a new finding and names it, exits 0 once only accepted findings remain', () => {
    const known = { code: 'DL3018', file: 'srcs/ftps/Dockerfile', line: 5, message: 'Pin versions' };
    const fresh = { code: 'DL3007', file: 'srcs/ftps/Dockerfile', line: 1, message: 'Using latest' };
    const failing = judgeWith([known, fresh]);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toContain('NEW findings');
    expect(failing.stdout).toContain('hadolint DL3007 srcs/ftps/Dockerfile: line 1: Using latest');
    const passing = judgeWith([known]);
    expect(passing.status).toBe(0);
    expect(passing.stdout).toContain('hadolint DL3018 1');
  });

  test('B15 reports an accepted finding that no longer occurs, without failing', () => {
    const result = judgeWith([]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/no longer found[^\n]*\n {2}hadolint DL3018 srcs\/ftps\/Dockerfile/);
  });
});

describe('B15 kubeconform schema files', () => {
  test.each([
    ['v1', 'Service', 'service-v1.json'],
    ['apps/v1', 'Deployment', 'deployment-apps-v1.json'],
    ['networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicy-networking-v1.json'],
    ['metallb.io/v1beta1', 'IPAddressPool', 'ipaddresspool-metallb-v1beta1.json'],
  ])('B15 %s %s is looked up as %s (kubeconform\'s KindSuffix)', (apiVersion, kind, file) => {
    expect(kubeconformFileName(apiVersion, kind)).toBe(file);
  });
});

/**
 * The TypeScript side of .ci/checkers.
 *
 *   checkers schemas DIR                 write strict per-kind schemas of data/ for kubeconform into DIR;
 *                                        prints the -schema-location template, then each Kubernetes
 *                                        version (v1.27.0, …), one a line
 *   checkers judge DIR [--accepted FILE] read the checkers' JSON output in DIR (kube-score.json,
 *                                        checkov.json, kubeconform-VERSION.json, hadolint.json), hold the
 *                                        findings against FILE (default .ci/accepted-findings.yaml); exit 1
 *                                        on a finding it does not accept
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  AcceptedFindingsError, checkovFindings, countsByRule, Finding, hadolintFindings, judge, kubeconformFindings, kubeScoreFindings, parseAccepted,
} from '../lib/checkers/findings';
import { KUBERNETES_VERSIONS, writeKubeconformSchemas } from '../lib/checkers/schemas';

const DEFAULT_ACCEPTED = path.resolve(__dirname, '..', '.ci', 'accepted-findings.yaml');

function readFindings(dir: string): Finding[] {
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  return [
    ...kubeScoreFindings(read('kube-score.json')),
    ...checkovFindings(read('checkov.json')),
    ...KUBERNETES_VERSIONS.flatMap((version) => kubeconformFindings(read(`kubeconform-${version}.json`), version)),
    ...hadolintFindings(read('hadolint.json')),
  ];
}

function judgeCommand(dir: string, acceptedFile: string): number {
  const findings = readFindings(dir);
  const verdict = judge(findings, parseAccepted(fs.readFileSync(acceptedFile, 'utf8'), acceptedFile));
  const file = path.relative(process.cwd(), acceptedFile);
  const line = (f: Finding) => `  ${f.checker} ${f.rule} ${f.target}: ${f.message}`;
  console.log(`Findings per checker and rule (${findings.length} in all, ${verdict.unaccepted.length} not accepted):`);
  for (const count of countsByRule(findings)) console.log(`  ${count}`);
  if (verdict.stale.length > 0) {
    console.log(`\nAccepted in ${file} but no longer found (fixed or renamed? remove or correct the target):`);
    for (const { entry, target } of verdict.stale) console.log(`  ${entry.checker} ${entry.rule} ${target}`);
  }
  if (verdict.unaccepted.length === 0) return 0;
  console.log(`\nNEW findings: fix each one, or list it with its reason in ${file}:`);
  for (const finding of verdict.unaccepted) console.log(line(finding));
  return 1;
}

function main(args: string[]): number {
  const [command, dir, ...rest] = args;
  if (command === 'schemas' && dir !== undefined && rest.length === 0) {
    console.log([writeKubeconformSchemas(dir), ...KUBERNETES_VERSIONS].join('\n'));
    return 0;
  }
  if (command === 'judge' && dir !== undefined && (rest.length === 0 || (rest.length === 2 && rest[0] === '--accepted'))) {
    return judgeCommand(dir, rest[1] ?? DEFAULT_ACCEPTED);
  }
  console.error('usage: checkers schemas DIR | checkers judge DIR [--accepted FILE]');
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof AcceptedFindingsError)) throw error;
  console.error(`checkers: ${error.message}`);
  process.exitCode = 2;
}

/**
 * The findings of the checkers CI runs (.ci/checkers), read from each one's JSON output, and the
 * committed list of accepted findings they are held against: a finding nobody accepted fails CI, an
 * accepted finding that no longer occurs is reported so the list does not rot.
 */
import * as YAML from 'yaml';

export const CHECKERS = ['kube-score', 'checkov', 'kubeconform', 'hadolint'] as const;
export type Checker = typeof CHECKERS[number];

/** One thing one checker reports: a rule broken by one object (or container, or Dockerfile). */
export interface Finding {
  readonly checker: Checker;
  /** The checker's own ID of the rule, as its documentation and ignore options spell it. */
  readonly rule: string;
  /** What breaks it: `Kind/name`, `Kind/name container`, or a Dockerfile's path. */
  readonly target: string;
  /** The checker's words, for the log. */
  readonly message: string;
}

/** An accepted finding: which rule of which checker, where (`*` matches any text), and why. */
export interface Accepted {
  readonly checker: Checker;
  readonly rule: string;
  readonly targets: readonly string[];
  readonly reason: string;
}

/** The accepted-findings file is not a list of entries with checker, rule, targets and reason. */
export class AcceptedFindingsError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'AcceptedFindingsError';
  }
}

/** The entries of an accepted-findings file (YAML), each validated. */
export function parseAccepted(text: string, file: string): Accepted[] {
  let entries: unknown;
  try {
    entries = YAML.parse(text);
  } catch (error) {
    throw new AcceptedFindingsError(file, `is not valid YAML (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(entries)) throw new AcceptedFindingsError(file, 'must hold a YAML list of entries (- checker: …, rule: …, targets: […], reason: …)');
  return entries.map((entry, index) => {
    const where = `entry ${index + 1}`;
    const { checker, rule, targets, reason } = (entry ?? {}) as Record<string, unknown>;
    if (!CHECKERS.includes(checker as Checker)) throw new AcceptedFindingsError(file, `${where}: checker ${JSON.stringify(checker)} is not one of ${CHECKERS.join(', ')}`);
    if (typeof rule !== 'string' || rule === '') throw new AcceptedFindingsError(file, `${where}: rule must be the checker's rule ID`);
    if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string' && t !== '')) {
      throw new AcceptedFindingsError(file, `${where} (${rule}): targets must be a non-empty list of \`Kind/name\`, \`Kind/name container\` or file paths`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') throw new AcceptedFindingsError(file, `${where} (${rule}): reason must say why the finding is accepted`);
    return { checker: checker as Checker, rule, targets, reason };
  });
}

/** kube-score's `-o json` (v2, renderer/json_v2): every check graded WARNING or CRITICAL (scorecard.Grade 5 or 1). */
export function kubeScoreFindings(output: string): Finding[] {
  const warning = 5;
  const objects = JSON.parse(output) as Array<{
    type_meta: { kind: string }; object_meta: { name: string };
    checks: Array<{ check: { id: string; name: string }; grade: number; skipped: boolean; comments: Array<{ path: string; summary: string }> | null }>;
  }>;
  return objects.flatMap(({ type_meta, object_meta, checks }) => checks
    .filter((c) => !c.skipped && c.grade <= warning)
    .flatMap(({ check, comments }) => (comments ?? [{ path: '', summary: check.name }]).map(({ path, summary }) => ({
      checker: 'kube-score' as const,
      rule: check.id,
      target: `${type_meta.kind}/${object_meta.name}${path === '' ? '' : ` ${path}`}`,
      message: summary,
    }))));
}

/** Checkov's `-o json`: every failed check, by resource (`Kind.namespace.name`). */
export function checkovFindings(output: string): Finding[] {
  const parsed = JSON.parse(output) as CheckovReport | CheckovReport[];
  return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((report) => (report.results?.failed_checks ?? []).map((failed) => {
    const [kind, , ...name] = failed.resource.split('.');
    return { checker: 'checkov' as const, rule: failed.check_id, target: `${kind}/${name.join('.')}`, message: failed.check_name };
  }));
}
interface CheckovReport { readonly results?: { readonly failed_checks: Array<{ check_id: string; check_name: string; resource: string }> } }

/** kubeconform's `-output json`: every resource not valid (invalid, error, or skipped for want of a schema). */
export function kubeconformFindings(output: string, kubernetesVersion: string): Finding[] {
  const { resources } = JSON.parse(output) as { resources: Array<{ kind: string; name: string; status: string; msg: string }> | null };
  return (resources ?? []).filter((r) => r.status !== 'statusValid' && r.status !== 'statusEmpty').map((r) => ({
    checker: 'kubeconform' as const,
    rule: r.status,
    target: `${r.kind}/${r.name} on Kubernetes ${kubernetesVersion}`,
    message: r.msg,
  }));
}

/** hadolint's `-f json`: every rule broken, by Dockerfile (the line moves with every edit, so it is only in the message). */
export function hadolintFindings(output: string): Finding[] {
  return (JSON.parse(output) as Array<{ code: string; file: string; line: number; message: string }>).map((f) => ({
    checker: 'hadolint' as const,
    rule: f.code,
    target: f.file,
    message: `line ${f.line}: ${f.message}`,
  }));
}

/** `*` matches any text (also none); everything else matches itself. */
function matches(pattern: string, target: string): boolean {
  const regex = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${regex}$`).test(target);
}

export interface Verdict {
  /** Findings no entry accepts: each fails CI. */
  readonly unaccepted: Finding[];
  /** Findings an entry accepts, with the entry. */
  readonly accepted: Array<{ finding: Finding; entry: Accepted }>;
  /** Targets of entries that matched no finding: fixed, or renamed; the entry should go. */
  readonly stale: Array<{ entry: Accepted; target: string }>;
}

/** Holds the findings against the accepted entries. */
export function judge(findings: readonly Finding[], entries: readonly Accepted[]): Verdict {
  const used = new Set<string>();
  const accepted: Verdict['accepted'] = [];
  const unaccepted: Finding[] = [];
  for (const finding of findings) {
    let acceptedBy: Accepted | undefined;
    entries.forEach((entry, index) => {
      if (entry.checker !== finding.checker || entry.rule !== finding.rule) return;
      for (const target of entry.targets) {
        if (!matches(target, finding.target)) continue;
        used.add(`${index} ${target}`);
        acceptedBy ??= entry;
      }
    });
    if (acceptedBy === undefined) unaccepted.push(finding);
    else accepted.push({ finding, entry: acceptedBy });
  }
  const stale = entries.flatMap((entry, index) => entry.targets.filter((target) => !used.has(`${index} ${target}`)).map((target) => ({ entry, target })));
  return { unaccepted, accepted, stale };
}

/** How many findings each checker's rule gave, `checker rule count` lines sorted, for the log and the issue's before/after. */
export function countsByRule(findings: readonly Finding[]): string[] {
  const counts = new Map<string, number>();
  for (const { checker, rule } of findings) counts.set(`${checker} ${rule}`, (counts.get(`${checker} ${rule}`) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => `${key} ${count}`);
}

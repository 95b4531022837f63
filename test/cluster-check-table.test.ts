/**
 * The cluster proofs (test/cluster/, B14) assert on `./setup.sh check`'s table instead of running its
 * probes twice: the table they read must be the one check prints (lib/setup/check.ts formatResult).
 */
import { formatResult, formatSummary } from '../lib/setup/check';
import { checkRows } from './cluster/support/cluster';

test('B14 B6 the cluster proofs read back every row of check\'s table, verdict and detail included', () => {
  const results = [
    { requirement: 'S7', ok: true, title: 'http://198.18.0.240/check?from=ft answers 301', detail: 'Location https://198.18.0.240/check?from=ft' },
    { requirement: 'S10', ok: false, title: 'mysql keeps its data when its pod is deleted', detail: 'after the new pod mysql-2 started, the marker is gone' },
  ];
  const output = `==> checking\n${results.map(formatResult).join('\n')}\n\n${formatSummary(results)}\n`;
  expect(checkRows(output)).toEqual(results);
});

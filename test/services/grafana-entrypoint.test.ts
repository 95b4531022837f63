/**
 * The grafana image's entrypoint (srcs/grafana/entrypoint.sh) as the pod runs it (B15): its Secrets
 * mounted 0400 for root, each reader's copies handed over, Grafana (the cluster's STAND-IN: Debian
 * has no Grafana; it reads the files Grafana reads, as Grafana's user) and serve-metrics with the
 * image's collector, as the metrics user.
 */
import { httpRequest } from '../../lib/probes/http';
import { GRAFANA_METRICS } from '../../lib/services/grafana';
import { stopAll } from './support/harness';
import { GRAFANA_USER, GrafanaContainer, startGrafanaContainer } from './support/grafana';
import { parseExposition, scrape } from './support/metrics';
import { copiesDiffering, secretReaders } from './support/secret-readers';
import { METRICS_PATH } from '../../lib/monitoring/pod-metrics';

let grafana: GrafanaContainer;

beforeAll(async () => { grafana = await startGrafanaContainer(); }, 120000);
afterAll(stopAll);

test('B15 Grafana, as its own user, logs its admin in with the password from its copy, and no other', async () => {
  const login = async (password: string) => (await httpRequest(`${grafana.url}/login`, {
    insecure: true, method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: grafana.admin.name, password }),
  })).status;
  expect([await login(grafana.admin.password), await login(`${grafana.admin.password}x`)]).toEqual([200, 401]);
});

test('B10 B15 the collector, as the metrics user, reads /metrics with its copies of the password and the certificate', async () => {
  const answer = await scrape(`http://${grafana.metricsListen}${METRICS_PATH}`);
  expect({ status: answer.status, body: answer.status === 200 ? '' : `${answer.body}\n${grafana.server.log()}` }).toEqual({ status: 200, body: '' });
  expect([...parseExposition(answer.body).keys()].sort()).toEqual(Object.values(GRAFANA_METRICS).map((metric) => metric.name).sort());
});

test('B15 Grafana\'s user reads its five copies, the metrics user /metrics\' password and the certificate only, nobody none: never the mounted Secrets', () => {
  const { env } = grafana;
  const { seen, allowed } = secretReaders('grafana', { env, users: [GRAFANA_USER, env.METRICS_USER, 'nobody'], readerUsers: { daemon: GRAFANA_USER, metrics: env.METRICS_USER } });
  expect(seen[env.METRICS_USER]).toEqual(['metrics/grafana-metrics/password', 'metrics/tls/tls.crt']);
  expect(seen[GRAFANA_USER]).toHaveLength(5);
  expect(seen).toEqual(allowed);
  expect(copiesDiffering(env)).toEqual([]);
});

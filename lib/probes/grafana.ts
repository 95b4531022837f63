/**
 * Grafana probes (S9): one provisioned dashboard per service, and live metrics of each service in
 * InfluxDB, read through Grafana's own datasource (so the datasource's URL and credentials are
 * proven too).
 */
import { httpRequest, Trust } from './http';
import { expectThat, probe, ProbeResult } from './probe';

export interface GrafanaAccess extends Trust {
  /** e.g. `https://IP:3000` */
  readonly url: string;
  readonly user: string;
  readonly password: string;
}

async function getJson<T>(access: GrafanaAccess, path: string): Promise<T> {
  const authorization = `Basic ${Buffer.from(`${access.user}:${access.password}`).toString('base64')}`;
  const reply = await httpRequest(`${access.url.replace(/\/$/, '')}${path}`, { ...access, headers: { authorization, accept: 'application/json' } });
  expectThat(reply.status === 200, `GET ${path}: HTTP ${reply.status} ${reply.body.slice(0, 200)}`);
  return JSON.parse(reply.body) as T;
}

/** S9: Grafana lists exactly the expected dashboards (uid → title). */
export function probeGrafanaDashboards(access: GrafanaAccess, expected: Readonly<Record<string, string>>): Promise<ProbeResult> {
  return probe('S9', `Grafana has one dashboard per service (${Object.keys(expected).length})`, async () => {
    const found = await getJson<Array<{ uid: string; title: string }>>(access, '/api/search?type=dash-db');
    const byUid = Object.fromEntries(found.map((dashboard) => [dashboard.uid, dashboard.title]));
    for (const [uid, title] of Object.entries(expected)) expectThat(byUid[uid] === title, `dashboard ${uid} is ${byUid[uid] ?? 'missing'}, expected "${title}"`);
    return Object.values(expected).join(', ');
  });
}

/** S9: through Grafana's datasource, InfluxDB answers `query` with at least one value. */
export function probeGrafanaQuery(access: GrafanaAccess, datasourceUid: string, database: string, title: string, query: string): Promise<ProbeResult> {
  return probe('S9', title, async () => {
    const q = new URLSearchParams({ db: database, q: query, epoch: 's' });
    const answer = await getJson<{ results: Array<{ error?: string; series?: Array<{ values: unknown[][] }> }> }>(
      access, `/api/datasources/proxy/uid/${datasourceUid}/query?${q.toString()}`);
    const result = answer.results[0] ?? {};
    expectThat(result.error === undefined, `InfluxDB: ${result.error}`);
    const values = (result.series ?? []).flatMap((series) => series.values);
    expectThat(values.length > 0, `no data for ${query}`);
    return `${values.length} value(s), latest ${JSON.stringify(values[values.length - 1])}`;
  });
}

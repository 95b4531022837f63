/**
 * Reading generated dashboards back, independently of how they were built: the InfluxQL text of
 * every panel target, and the measurement, fields and tags that text names.
 */

export interface PanelQuery {
  readonly panel: string;
  readonly refId: string;
  readonly query: string;
}

/** Every target's query text in a dashboard's JSON (as Grafana would load the file). */
export function panelQueries(dashboardJson: string): PanelQuery[] {
  const parsed = JSON.parse(dashboardJson) as { panels: Array<{ title: string; targets?: Array<{ refId: string; query: string }> }> };
  return parsed.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, refId: target.refId, query: target.query })));
}

export interface QueryReferences {
  readonly measurement: string;
  /** Quoted identifiers inside the SELECT clause's function calls. */
  readonly fields: string[];
  /** Quoted identifiers compared in WHERE or listed in GROUP BY. */
  readonly tags: string[];
  /** `"tag" = 'value'` and `"tag" =~ /regex/` conditions, by tag. */
  readonly conditions: Record<string, string>;
}

/** What one InfluxQL SELECT names. Throws when the text does not have the shape our builder makes. */
export function queryReferences(query: string): QueryReferences {
  const shape = /^SELECT (.+) FROM "([^"]+)" WHERE (.+) GROUP BY (.+) fill\(\w+\)$/.exec(query);
  if (!shape) throw new Error(`unexpected query shape: ${query}`);
  const [, select, measurement, where, groupBy] = shape;
  const fields = [...select.matchAll(/\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]);
  const conditions: Record<string, string> = {};
  for (const m of where.matchAll(/"([^"]+)" (=~|=) ('(?:[^'\\]|\\.)*'|\/(?:[^/\\]|\\.)*\/)/g)) conditions[m[1]] = `${m[2]} ${m[3]}`;
  const grouped = [...groupBy.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  return { measurement, fields, tags: [...new Set([...Object.keys(conditions), ...grouped])], conditions };
}

/**
 * Grafana's substitutions for a raw InfluxQL query (pkg/tsdb/influxdb: `$timeFilter` becomes
 * `time >= <from>ms and time <= <to>ms`; `$__interval` the computed interval, never below the
 * datasource's `timeInterval`).
 */
export function grafanaInterpolate(query: string, range: { fromMs: number; toMs: number }, interval: string): string {
  return query
    .replace(/\$timeFilter/g, `time >= ${range.fromMs}ms and time <= ${range.toMs}ms`)
    .replace(/\$__interval/g, interval);
}

/**
 * The README's generated parts, so they cannot drift from the code (B13): the settings reference,
 * read from lib/config.ts's own definitions (its doc comments and DEFAULT_CONFIG), and a diagram of
 * the stack and the dashboards' panels, read from the chart's constructs (lib/services/). `npm run docs` rewrites them; a test fails when they are stale.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import * as ts from 'typescript';
import { buildApp } from '../app';
import * as kplus from 'cdk8s-plus-27';
import { DEFAULT_CONFIG, resolveStackConfig, StackConfig } from '../config';
import { containerPanels, dashboardTitle } from '../monitoring/dashboards';
import { METRICS_PORT } from '../monitoring/pod-metrics';
import { KUBELET_PORT } from '../monitoring/telegraf-config';
import { egressRules } from '../stack';
import { StackService } from '../stack-service';

const CONFIG_SOURCE = path.resolve(__dirname, '..', 'config.ts');

export interface SettingDoc {
  readonly field: string;
  readonly defaultValue: unknown;
  readonly description: string;
}

function docText(node: ts.Node): string {
  return ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '').join(' ').replace(/\s+/g, ' ').trim();
}

function valueAt(config: unknown, field: string): unknown {
  return field.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);
}

/** Every leaf setting of `StackConfig`, in declaration order, with its doc comment and its default. */
export function settingsDocs(source = fs.readFileSync(CONFIG_SOURCE, 'utf8')): SettingDoc[] {
  const file = ts.createSourceFile('config.ts', source, ts.ScriptTarget.Latest, true);
  const root = file.statements.find((statement): statement is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(statement) && statement.name.text === 'StackConfig');
  if (root === undefined) throw new Error('lib/config.ts has no interface StackConfig');
  const docs: SettingDoc[] = [];
  const walk = (members: ts.NodeArray<ts.TypeElement>, prefix: string, inherited: string) => {
    for (const member of members.filter(ts.isPropertySignature)) {
      const field = `${prefix}${member.name.getText(file)}`;
      const own = docText(member);
      const description = own !== '' ? own : inherited;
      if (member.type !== undefined && ts.isTypeLiteralNode(member.type)) {
        walk(member.type.members, `${field}.`, own);
        continue;
      }
      const value = valueAt(DEFAULT_CONFIG, field);
      const perKey = field === 'resources' || field === 'storage.sizes' || field === 'replicas';
      // A map of settings per service (`autoscaling`): one row per service and setting.
      const perKeySettings = /Record<\w+, (\w+)>/.exec(member.type?.getText(file) ?? '')?.[1];
      const settings = file.statements.find((statement): statement is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(statement) && statement.name.text === perKeySettings);
      if (!perKey && settings !== undefined && typeof value === 'object' && value !== null) {
        for (const key of Object.keys(value)) walk(settings.members, `${field}.${key}.`, own);
        continue;
      }
      if (perKey && typeof value === 'object' && value !== null) {
        for (const [key, item] of Object.entries(value)) docs.push({ field: `${field}.${key}`, defaultValue: item, description });
      } else {
        docs.push({ field, defaultValue: value, description });
      }
    }
  };
  walk(root.members, '', '');
  return docs;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

function formatDefault(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'object' && value !== null && 'cpuRequestMillis' in value) {
    const spec = value as StackConfig['resources']['nginx'];
    return `CPU ${spec.cpuRequestMillis}m–${spec.cpuLimitMillis}m, memory ${spec.memoryRequestMebibytes}–${spec.memoryLimitMebibytes} MiB, `
      + `ephemeral storage ${spec.ephemeralStorageRequestMebibytes}–${spec.ephemeralStorageLimitMebibytes} MiB`;
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null && 'login' in item)) {
    return (value as StackConfig['wordpress']['users']).map((user) => `${user.login} (${user.role})`).join(', ');
  }
  return `\`${JSON.stringify(value)}\``;
}

/** The settings reference, a Markdown table. */
export function settingsTable(docs = settingsDocs()): string {
  return [
    '| Setting | Default | What it does |',
    '|---|---|---|',
    ...docs.map((doc) => `| \`${doc.field}\` | ${cell(formatDefault(doc.defaultValue))} | ${cell(doc.description.replace(/@default.*$/, '').trim())} |`),
  ].join('\n');
}

/** Ports in their order, consecutive ones as a range: `21, 30000-30004`. */
export function portRanges(ports: readonly number[]): string {
  const ranges: Array<[number, number]> = [];
  for (const port of ports) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && port === last[1] + 1) last[1] = port;
    else ranges.push([port, port]);
  }
  return ranges.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(', ');
}

/**
 * A Mermaid flowchart of the chart made for `config`, read from its constructs: the public ports on
 * the load-balancer address, the workloads, and every connection once, with the port its client
 * dials (a Service's port; a pod's own metrics port for the scraper, which no Service carries).
 */
export function stackDiagram(config: StackConfig = resolveStackConfig()): string {
  const { stack } = buildApp(new App(), config);
  const { services } = stack;
  // In the order the chart made them, which the manifests keep.
  const made = stack.node.children.filter((child): child is StackService => child instanceof StackService);
  const lines = ['flowchart LR', '  users([users])', `  users --> lb{{"${config.loadBalancer.address} (one ${config.loadBalancer.mode === 'metallb' ? 'MetalLB' : 'load-balancer'} IP)"}}`];
  for (const service of made.filter((item) => item.exposure.type === 'LoadBalancer')) {
    lines.push(`  lb -- "${portRanges(service.ports.map((port) => port.servicePort ?? port.containerPort))}" --> ${service.name}`);
  }
  for (const service of made) lines.push(`  ${service.name}["${service.name} (${service.workload instanceof kplus.DaemonSet ? 'DaemonSet' : 'Deployment'})"]`);
  const edges = new Set<string>();
  for (const client of services) {
    for (const target of client.connectsTo) edges.add(`${client.name}|${target.name}|${target.port}`);
  }
  for (const service of services) {
    if (service.podMetrics !== undefined) edges.add(`${service.podMetrics.scrapedBy}|${service.name}|${METRICS_PORT}`);
  }
  const guarded = new Set<string>(services.filter((service) => service.clientsOnly).map((service) => service.name));
  for (const edge of [...edges].sort()) {
    const [client, target, port] = edge.split('|');
    lines.push(`  ${client} -- "${port}${guarded.has(target) ? ', allowed by NetworkPolicy' : ''}" --> ${target}`);
  }
  for (const service of services.filter((item) => item.serviceAccount !== undefined)) {
    lines.push(`  ${service.name} -- "${[KUBELET_PORT, ...config.telegraf.apiServerPorts].join(', ')}, any address" --> control[["kubelet, API server"]]`);
  }
  for (const target of [...guarded].sort()) {
    lines.push(`  ${target}:::guarded`);
    lines.push(`  %% ${target}: only the listed clients may connect (NetworkPolicy ${target}-allow-clients)`);
  }
  const silent = services.filter((service) => egressRules(service, services, config).length === 0).map((service) => service.name);
  lines.push(`  %% egress: a pod opens only the connections drawn from it, and DNS (NetworkPolicy default-deny-egress and <client>-allow-egress); ${silent.join(', ')} open none`);
  lines.push('  classDef guarded stroke-width:3px,stroke-dasharray: 4 2');
  return ['```mermaid', ...lines, '```'].join('\n');
}

/**
 * What the dashboards show, from the services' own panels: the container panels every dashboard
 * starts with, then each service's own panels with their descriptions.
 */
export function dashboardsTable(config: StackConfig = resolveStackConfig()): string {
  const titles = containerPanels('<service>', config.namespace).map((panel) => panel.title);
  const common = `${titles.slice(0, -1).join(', ')} and ${titles[titles.length - 1]}`;
  const rows = buildApp(new App(), config).stack.services.flatMap((service) => service.ownPanels(config.namespace)
    .map((panel, index) => `| ${index === 0 ? `\`${dashboardTitle(service.name)}\`` : ''} | ${panel.title} | ${panel.description.replace(/\|/g, '\\|')} |`));
  return [`Every dashboard starts with its container's panels: ${common}. Then:`, '', '| dashboard | panel | what it shows |', '|---|---|---|', ...rows].join('\n');
}

/** Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`. */
export function replaceSection(text: string, name: string, body: string): string {
  const begin = `<!-- ${name}:begin (generated by npm run docs; do not edit) -->`;
  const end = `<!-- ${name}:end -->`;
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`README.md has no "${begin}" … "${end}" section`);
  return `${text.slice(0, start + begin.length)}\n${body}\n${text.slice(stop)}`;
}

/** Regenerates the README's sections; returns whether they were stale. Writes only when `write`. */
export function updateReadme(readme: string, write: boolean): boolean {
  const text = fs.readFileSync(readme, 'utf8');
  const updated = replaceSection(replaceSection(replaceSection(text, 'settings', settingsTable()), 'diagram', stackDiagram()), 'dashboards', dashboardsTable());
  if (write && updated !== text) fs.writeFileSync(readme, updated);
  return updated !== text;
}

/**
 * The README's generated parts, so they cannot drift from the code (B13): the settings reference,
 * read from lib/config.ts's own definitions (its doc comments and DEFAULT_CONFIG), and a diagram of
 * the stack, read from the synthesized chart (Services, workloads, who connects to whom, and the
 * NetworkPolicies). `npm run docs` rewrites them; a test fails when they are stale.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import * as ts from 'typescript';
import { buildApp } from '../app';
import { DEFAULT_CONFIG, resolveStackConfig, SERVICE_NAMES, StackConfig } from '../config';
import { containerPanels, dashboardTitle, ownPanels } from '../monitoring/dashboards';

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
    return `CPU ${spec.cpuRequestMillis}m–${spec.cpuLimitMillis}m, memory ${spec.memoryRequestMebibytes}–${spec.memoryLimitMebibytes} MiB`;
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

interface ObjectJson {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
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

/** A Mermaid flowchart of the chart synthesized for `config`. */
export function stackDiagram(config: StackConfig = resolveStackConfig()): string {
  const charts = buildApp(new App(), config);
  const objects = charts.stack.toJson() as ObjectJson[];
  const services = objects.filter((object) => object.kind === 'Service');
  const workloads = objects.filter((object) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(object.kind));
  const nameOf = (labels: Record<string, string> | undefined) => labels?.['app.kubernetes.io/name'];
  const ports = (service: ObjectJson) => (service.spec?.ports as Array<{ port: number; protocol?: string }>);
  const lines = ['flowchart LR', '  users([users])', `  users --> lb{{"${config.loadBalancer.address} (one ${config.loadBalancer.mode === 'metallb' ? 'MetalLB' : 'load-balancer'} IP)"}}`];
  for (const service of services.filter((item) => item.spec?.type === 'LoadBalancer')) {
    lines.push(`  lb -- "${portRanges(ports(service).map((port) => port.port))}" --> ${nameOf(service.spec?.selector)}`);
  }
  for (const workload of workloads) {
    const name = nameOf(workload.metadata.labels);
    lines.push(`  ${name}["${name} (${workload.kind})"]`);
  }
  // Who connects to whom: a workload's environment naming another Service by its in-cluster name.
  const internal = new Map(services.map((service) => [service.metadata.name, nameOf(service.spec?.selector)]));
  const edges = new Set<string>();
  for (const workload of workloads) {
    const client = nameOf(workload.metadata.labels);
    const env = (workload.spec?.template?.spec?.containers ?? []).flatMap((container: { env?: Array<{ value?: string }> }) => container.env ?? []);
    for (const { value } of env) {
      const match = /^(?:[a-z]+:\/\/)?([a-z0-9-]+):(\d+)/.exec(value ?? '');
      if (match !== null && internal.has(match[1]) && internal.get(match[1]) !== client) edges.add(`${client}|${internal.get(match[1])}|${match[2]}`);
    }
  }
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
  const guarded = new Map<string, string>();
  for (const policy of policies) {
    const target = nameOf(policy.spec?.podSelector?.matchLabels);
    // A policy with a rule open to every source (a public port beside a fenced metrics port) does
    // not make its pods clients-only.
    const clientsOnly = (policy.spec?.ingress ?? []).every((rule: { from?: unknown[] }) => rule.from !== undefined);
    if (target !== undefined && clientsOnly) guarded.set(target, policy.metadata.name);
    for (const rule of policy.spec?.ingress ?? []) {
      for (const from of rule.from ?? []) {
        for (const port of rule.ports ?? []) edges.add(`${nameOf(from.podSelector?.matchLabels)}|${target}|${port.port}`);
      }
    }
  }
  for (const edge of [...edges].sort()) {
    const [client, target, port] = edge.split('|');
    lines.push(`  ${client} -- "${port}${guarded.has(target) ? ', allowed by NetworkPolicy' : ''}" --> ${target}`);
  }
  for (const [target, policy] of [...guarded].sort()) {
    lines.push(`  ${target}:::guarded`);
    lines.push(`  %% ${target}: only the listed clients may connect (NetworkPolicy ${policy})`);
  }
  lines.push('  classDef guarded stroke-width:3px,stroke-dasharray: 4 2');
  return ['```mermaid', ...lines, '```'].join('\n');
}

/**
 * What the dashboards show, from the generated dashboards themselves: the container panels every
 * one starts with, then each service's own panels with their descriptions.
 */
export function dashboardsTable(config: StackConfig = resolveStackConfig()): string {
  const titles = containerPanels('<service>', config.namespace).map((panel) => panel.title);
  const common = `${titles.slice(0, -1).join(', ')} and ${titles[titles.length - 1]}`;
  const rows = SERVICE_NAMES.flatMap((service) => ownPanels(service, config.namespace)
    .map((panel, index) => `| ${index === 0 ? `\`${dashboardTitle(service)}\`` : ''} | ${panel.title} | ${panel.description.replace(/\|/g, '\\|')} |`));
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

/**
 * B8 egress: the namespace denies every connection a pod opens unless a policy of its own allows
 * it, and those policies are the connection model of the services (lib/stack.ts egressRules).
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { resolveStackConfig, SERVICE_NAMES } from '../lib/config';
import type * as StackServiceModule from '../lib/stack-service';
import { Manifest, matches, named, ofKind, synth, workloads } from './support/manifests';

const { charts, config } = synth();
const objects = charts['ft-services'];
const policies = ofKind(objects, 'NetworkPolicy');
const egressOf = (manifests: readonly Manifest[], name: string) =>
  ofKind(manifests, 'NetworkPolicy').filter((p) => p.spec.policyTypes.includes('Egress') && p.spec.podSelector.matchLabels !== undefined
    && matches(p.spec.podSelector.matchLabels, named(manifests, workloadKind(manifests, name), name).spec.template.metadata.labels));
const workloadKind = (manifests: readonly Manifest[], name: string) => workloads(manifests).find((w) => w.metadata.name === name)!.kind;
const rulesOf = (manifests: readonly Manifest[], name: string): Manifest[] => egressOf(manifests, name).flatMap((p) => p.spec.egress);
const pods = (name: string) => ({ podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'ft-services' } } });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
const containerPorts = (name: string) => named(objects, workloadKind(objects, name), name).spec.template.spec.containers[0].ports.map((p: Manifest) => p.containerPort);
/** CoreDNS as kubeadm and minikube label it (and .ci/cluster/add-ons.yaml, the CI cluster's). */
const dns = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
};
const scraped = workloads(objects).filter((w) => w.spec.template.metadata.annotations?.['prometheus.io/scrape'] === 'true').map((w) => w.metadata.name);

test('B8 egress is denied by default: one policy selects every pod of the namespace for egress and allows nothing', () => {
  const deny = named(objects, 'NetworkPolicy', 'default-deny-egress');
  expect(deny.metadata.namespace).toBe(config.namespace);
  expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'] });
});

test('B8 the databases open no connection: no egress rule selects MySQL or InfluxDB, nor FTPS, which connects to nothing', () => {
  for (const name of ['mysql', 'influxdb', 'ftps']) expect(egressOf(objects, name)).toEqual([]);
});

test('B8 no egress policy admits ingress: the ingress policies stay as they were', () => {
  for (const policy of policies.filter((p) => p.spec.policyTypes.includes('Egress'))) {
    expect(policy.spec.policyTypes).toEqual(['Egress']);
    expect(policy.spec.ingress).toBeUndefined();
  }
});

test('B8 WordPress and phpMyAdmin may open DNS and MySQL\'s port, nothing else', () => {
  for (const name of ['wordpress', 'phpmyadmin']) expect(rulesOf(objects, name)).toEqual([dns, { to: [pods('mysql')], ports: tcp(...containerPorts('mysql')) }]);
});

test('B8 nginx may open DNS and phpMyAdmin\'s port (its /phpmyadmin/ proxy), nothing else', () => {
  expect(rulesOf(objects, 'nginx')).toEqual([dns, { to: [pods('phpmyadmin')], ports: tcp(...containerPorts('phpmyadmin')) }]);
});

test('B8 Grafana may open DNS and InfluxDB\'s port, nothing else', () => {
  expect(rulesOf(objects, 'grafana')).toEqual([dns, { to: [pods('influxdb')], ports: tcp(8086) }]);
});

test('B8 B10 telegraf may open DNS, InfluxDB, the metrics port of each pod it scrapes, and the kubelet\'s and API server\'s ports at any address', () => {
  expect(scraped.length).toBeGreaterThan(0);
  expect(rulesOf(objects, 'telegraf')).toEqual([
    dns,
    { to: [pods('influxdb')], ports: tcp(8086) },
    ...SERVICE_NAMES.filter((name) => scraped.includes(name)).map((name) => ({ to: [pods(name)], ports: tcp(9117) })),
    // After kube-proxy's DNAT: the kubelet on the node, the API server's endpoints (minikube 8443, kubeadm 6443).
    { ports: tcp(10250, 8443, 6443) },
  ]);
  expect(scraped.sort()).toEqual(['ftps', 'grafana', 'influxdb', 'mysql', 'nginx', 'phpmyadmin', 'wordpress']);
});

test('B8 the API server\'s ports come from the configuration (telegraf.apiServerPorts)', () => {
  const { charts: own } = synth({ telegraf: { apiServerPorts: [6443] } });
  expect(rulesOf(own['ft-services'], 'telegraf').at(-1)).toEqual({ ports: tcp(10250, 6443) });
});

test('B8 telegraf.apiServerPorts is a non-empty list of ports', () => {
  for (const bad of [[], [0], [70000], ['6443']]) {
    expect(() => resolveStackConfig({ telegraf: { apiServerPorts: bad as number[] } })).toThrow(/telegraf\.apiServerPorts.*a list of one or more ports from 1 to 65535/);
  }
});

test('B8 a new connection in a module adds exactly its egress rule, and changes no other policy', () => {
  // nginx made to connect to WordPress too (it only redirects to it): the one change is in the model.
  let patched: Manifest[] = [];
  jest.isolateModules(() => {
    jest.doMock('../lib/stack-service', () => {
      const actual = jest.requireActual<typeof StackServiceModule>('../lib/stack-service');
      class WithNewConnection extends actual.StackService {
        constructor(scope: Construct, id: string, props: StackServiceModule.StackServiceProps) {
          const wordpress = Chart.of(scope).node.findAll().find((node): node is StackServiceModule.StackService => node instanceof actual.StackService && node.name === 'wordpress');
          super(scope, id, props.name === 'nginx' ? { ...props, connectsTo: [...(props.connectsTo ?? []), wordpress!] } : props);
        }
      }
      return { ...actual, StackService: WithNewConnection };
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { synth: patchedSynth } = require('./support/manifests') as typeof import('./support/manifests');
    patched = patchedSynth().charts['ft-services'];
  });
  const before = rulesOf(objects, 'nginx');
  expect(rulesOf(patched, 'nginx')).toEqual([...before, { to: [pods('wordpress')], ports: tcp(...containerPorts('wordpress')) }]);
  const others = (manifests: Manifest[]) => ofKind(manifests, 'NetworkPolicy').filter((p) => p.metadata.name !== 'nginx-allow-egress');
  expect(others(patched)).toEqual(others(objects));
});

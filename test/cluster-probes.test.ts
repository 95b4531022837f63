/**
 * `./setup.sh check`'s probes of the cluster itself, against a scripted kubectl that answers with
 * objects shaped as the real API defines them.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { clientConnect, stackChecks } from '../lib/setup/check';
import { resolveStackConfig, ServiceName, StackConfigOverrides } from '../lib/config';
import { boolFlag, EXCLUDE_FROM_LOAD_BALANCERS, probeAddressAnnounced } from '../lib/probes/cluster';
import { scriptedKubectl } from './support/fake-cluster';
import { gvkKey, kubernetesValidators } from './support/k8s-schemas';
import { servedMetrics, stackServices } from './support/model';

const PUBLIC = ['nginx', 'wordpress', 'phpmyadmin', 'ftps', 'grafana'];
const list = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

/**
 * What MetalLB v0.16.1's speaker writes when it announces a Service in layer 2 mode
 * (internal/k8s/controllers/layer2_status_controller.go): an object named from `l2-` in the
 * speaker's namespace, labelled with the node and the Service, owned by the speaker pod, whose
 * status (api/v1beta1/servicel2status_types.go: node, serviceName, serviceNamespace, and
 * interfaces only when the L2Advertisement limits them) names the announcing node.
 */
function serviceL2Status(service: string, node = 'minikube') {
  return {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'ServiceL2Status',
    metadata: {
      name: `l2-${service.slice(0, 5)}`,
      generateName: 'l2-',
      namespace: 'metallb-system',
      labels: { 'metallb.io/node': node, 'metallb.io/service-name': service, 'metallb.io/service-namespace': 'ft-services' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'speaker-x7k2p', uid: '6f0c1b3e-0000-4000-8000-000000000001' }],
    },
    spec: {},
    status: { node, serviceName: service, serviceNamespace: 'ft-services' },
  };
}

/** The ServiceL2Status CRD of MetalLB's v0.16.1 release manifest (data/metallb, the one setup installs). */
const SERVICE_L2_STATUS_CRD = YAML.parseAllDocuments(fs.readFileSync(path.join(__dirname, '..', 'data', 'metallb', 'metallb-native-v0.16.1.yaml'), 'utf8'))
  .map((doc) => doc.toJSON()).find((doc) => doc?.kind === 'CustomResourceDefinition' && doc.metadata.name === 'servicel2statuses.metallb.io');

/** minikube's only node as kubeadm labels a control-plane node (kubeadm's markcontrolplane phase). */
function minikubeNode(excluded: boolean, networkUnavailable = false) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'minikube',
      labels: {
        'kubernetes.io/hostname': 'minikube',
        'node-role.kubernetes.io/control-plane': '',
        ...(excluded ? { [EXCLUDE_FROM_LOAD_BALANCERS]: '' } : {}),
      },
    },
    // A CNI that sets NetworkUnavailable (calico does) clears it once the node's network is up.
    status: { conditions: [{ type: 'Ready', status: 'True' }, ...(networkUnavailable ? [{ type: 'NetworkUnavailable', status: 'True', reason: 'NoRouteCreated' }] : [])] },
  };
}

/**
 * The EndpointSlice the endpointslice controller keeps for a Service (discovery.k8s.io/v1; labels from
 * pkg/controller/endpointslice): one endpoint per pod that has an address, `ready` false while the pod
 * is not ready. A crash-looping pod keeps its endpoint, not ready.
 */
function endpointSlice(service: string, pod: string, ready: boolean) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${service}-7xq2m`,
      generateName: `${service}-`,
      namespace: 'ft-services',
      labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service, uid: '6f0c1b3e-0000-4000-8000-000000000002', controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    endpoints: [{
      addresses: ['10.244.0.17'],
      conditions: { ready, serving: ready, terminating: false },
      nodeName: 'minikube',
      targetRef: { kind: 'Pod', name: pod, namespace: 'ft-services', uid: '6f0c1b3e-0000-4000-8000-000000000003' },
    }],
    ports: [{ name: service === 'ftps' ? 'ftp' : 'https', port: service === 'ftps' ? 21 : 443, protocol: 'TCP' }],
  };
}

/**
 * A pod as `kubectl get pod -o json` shows it: ready, or crash-looping as the real ftps pod did when
 * its entrypoint exited at every start (the kubelet's CrashLoopBackOff, the last exit kept in lastState).
 */
function pod(name: string, labels: Record<string, string>, ready: boolean) {
  const container = name.startsWith('speaker') ? 'speaker' : labels['app.kubernetes.io/name'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: name.startsWith('speaker') ? 'metallb-system' : 'ft-services', labels },
    spec: { nodeName: 'minikube', containers: [{ name: container, image: `${container}:0.1.0` }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }, { type: 'ContainersReady', status: ready ? 'True' : 'False' }],
      containerStatuses: [{
        name: container, image: `${container}:0.1.0`, imageID: '', ready, started: ready, restartCount: ready ? 0 : 6,
        state: ready ? { running: { startedAt: '2026-12-05T17:02:11Z' } } : { waiting: { reason: 'CrashLoopBackOff', message: `back-off 2m40s restarting failed container=${container}` } },
        lastState: ready ? {} : { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-12-05T17:04:51Z', finishedAt: '2026-12-05T17:04:51Z' } },
      }],
    },
  };
}

const stackPod = (service: string, ready: boolean) => pod(`${service}-7c9d8b6f5-x2x9q`, { 'app.kubernetes.io/name': service, 'app.kubernetes.io/instance': 'ft-services' }, ready);
const speakerPod = (ready: boolean) => pod('speaker-x7k2p', { app: 'metallb', component: 'speaker' }, ready);

/** The speaker DaemonSet of MetalLB's v0.16.1 release manifest (as shipped), or as setup patches it. */
function speakerDaemonSet(ignoresLabel: boolean) {
  const shipped = YAML.parseAllDocuments(fs.readFileSync(path.join(__dirname, '..', 'data', 'metallb', 'metallb-native-v0.16.1.yaml'), 'utf8'))
    .map((doc) => doc.toJSON()).find((doc) => doc?.kind === 'DaemonSet' && doc.metadata.name === 'speaker');
  if (ignoresLabel) shipped.spec.template.spec.containers[0].args.push('--ignore-exclude-lb');
  return shipped;
}

/**
 * A cluster on which every public Service has a ready pod but `crashing`, minikube's node is
 * `excluded` or not, and the speaker runs with `--ignore-exclude-lb` or not and is `speakerReady` or not;
 * no node announces `silent`, and `foreign` are the statuses of other namespaces' Services.
 */
function cluster(options: { silent: readonly string[]; crashing?: string; excluded: boolean; ignoresLabel: boolean; speakerReady: boolean; foreign?: readonly object[]; networkUnavailable?: boolean }) {
  const ready = (service: string) => service !== options.crashing;
  return scriptedKubectl([
    [/^get servicel2statuses/, list([...PUBLIC.filter((s) => !options.silent.includes(s)).map((s) => serviceL2Status(s)), ...options.foreign ?? []])],
    [/^-n ft-services get endpointslices -o json$/, list(PUBLIC.map((s) => endpointSlice(s, stackPod(s, ready(s)).metadata.name, ready(s))))],
    [/^-n ft-services get pods -o json$/, list(PUBLIC.map((s) => stackPod(s, ready(s))))],
    [/^get nodes -o json$/, list([minikubeNode(options.excluded, options.networkUnavailable)])],
    [/^-n metallb-system get daemonset speaker -o json$/, JSON.stringify(speakerDaemonSet(options.ignoresLabel))],
    [/^-n metallb-system get pods -l component=speaker -o json$/, list([speakerPod(options.speakerReady)])],
  ]);
}

describe('S4 the address is announced, not only assigned', () => {
  test('S4 the scripted ServiceL2Status has the shape of MetalLB v0.16.1\'s CRD, which kubectl names servicel2statuses.metallb.io', () => {
    expect(SERVICE_L2_STATUS_CRD.spec).toMatchObject({ group: 'metallb.io', scope: 'Namespaced', names: { kind: 'ServiceL2Status', plural: 'servicel2statuses' } });
    const [version] = SERVICE_L2_STATUS_CRD.spec.versions;
    expect(`metallb.io/${version.name}`).toBe(serviceL2Status('nginx').apiVersion);
    const schema = version.schema.openAPIV3Schema;
    const fixture = serviceL2Status('nginx');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(Object.keys(fixture)));
    expect(Object.keys(schema.properties.status.properties)).toEqual(expect.arrayContaining(Object.keys(fixture.status)));
    expect(Object.keys(schema.properties.status.properties).sort()).toEqual(['interfaces', 'node', 'serviceName', 'serviceNamespace']);
  });

  test('S4 the announcement check passes when a node announces every public Service', async () => {
    const { kubectl, calls } = scriptedKubectl([
      [/^get servicel2statuses\.metallb\.io --all-namespaces -o json$/, list(PUBLIC.map((service) => serviceL2Status(service)))],
    ]);
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result).toMatchObject({ requirement: 'S4', ok: true, detail: `${PUBLIC.join(', ')} announced from minikube` });
    expect(calls).toEqual(['get servicel2statuses.metallb.io --all-namespaces -o json']);
  });

  test('S4 the scripted objects have the shapes Kubernetes 1.35 and MetalLB v0.16.1 define', () => {
    const validators = kubernetesValidators('v1.35.0');
    const objects = [endpointSlice('ftps', 'ftps-7c9d8b6f5-x2x9q', false), stackPod('ftps', false), speakerPod(true), minikubeNode(true, true), speakerDaemonSet(true)];
    expect(objects.map((o) => [o.kind, validators.get(gvkKey(o.apiVersion, o.kind))!(o)])).toEqual(objects.map((o) => [o.kind, true]));
  });

  test('S4 a crash-looping pod is named first, even on an excluded node: MetalLB asks for a ready endpoint before anything else', async () => {
    // MetalLB v0.16.1 speaker/layer2_controller.go ShouldAnnounce: no endpoint that can serve
    // (activeEndpointExists) → no announcement, whatever the nodes and the speaker.
    const { kubectl } = cluster({ silent: ['ftps'], crashing: 'ftps', excluded: true, ignoresLabel: true, speakerReady: true });
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^assigned but not announced: no node announces ftps, so 192\.168\.49\.240 does not answer for them; MetalLB announces a Service only while one of its endpoints is ready/);
    expect(result.detail).toContain('ftps\'s pod ftps-7c9d8b6f5-x2x9q (CrashLoopBackOff, 6 restarts) is not ready');
    expect(result.detail).toContain('kubectl -n ft-services logs ftps-7c9d8b6f5-x2x9q --previous');
    expect(result.detail).not.toContain(EXCLUDE_FROM_LOAD_BALANCERS);
  });

  test('S4 with ready endpoints, minikube\'s excluded node and the speaker as shipped: the label, the missing flag and the fix are named', async () => {
    // speakersForAds skips a node that carries the label unless the speaker runs with
    // --ignore-exclude-lb (speaker/main.go): no speaker announces, so no ServiceL2Status exists,
    // while the Service's status still shows the assigned address.
    const { kubectl } = cluster({ silent: PUBLIC, excluded: true, ignoresLabel: false, speakerReady: true });
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^assigned but not announced: no node announces nginx, wordpress, phpmyadmin, ftps, grafana/);
    expect(result.detail).toContain(`minikube carries ${EXCLUDE_FROM_LOAD_BALANCERS}`);
    expect(result.detail).toContain('the speaker runs without --ignore-exclude-lb (its args: --port=9120 --log-level=info)');
    expect(result.detail).toContain(`kubectl label node minikube ${EXCLUDE_FROM_LOAD_BALANCERS}-`);
  });

  test('S4 with the speaker\'s --ignore-exclude-lb, a node whose network is unavailable is named: MetalLB skips it too', async () => {
    const { kubectl } = cluster({ silent: PUBLIC, excluded: true, ignoresLabel: true, speakerReady: true, networkUnavailable: true });
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result.detail).toContain('minikube reports NetworkUnavailable: the CNI is not ready');
    expect(result.detail).not.toContain(EXCLUDE_FROM_LOAD_BALANCERS);
  });

  test('S4 with the speaker\'s --ignore-exclude-lb the label is no reason: a speaker that is not ready is named', async () => {
    const { kubectl } = cluster({ silent: PUBLIC, excluded: true, ignoresLabel: true, speakerReady: false });
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('no MetalLB speaker is ready on minikube, the node that may announce: speaker-x7k2p (CrashLoopBackOff, 6 restarts)');
    expect(result.detail).not.toContain(EXCLUDE_FROM_LOAD_BALANCERS);
  });

  test('S4 it fails when one Service is silent with everything MetalLB needs in place, and ignores statuses of another namespace', async () => {
    const other = { ...serviceL2Status('grafana'), status: { node: 'minikube', serviceName: 'grafana', serviceNamespace: 'monitoring' } };
    const { kubectl } = cluster({ silent: ['grafana'], foreign: [other], excluded: false, ignoresLabel: false, speakerReady: true });
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^assigned but not announced: no node announces grafana, so 192\.168\.49\.240 does not answer for them; the Services have a ready endpoint and a speaker is ready on minikube, yet none announces: see the speakers' logs/);
  });

  test('S4 the speaker\'s flag is read as Go\'s flag package reads a boolean', () => {
    expect([['--ignore-exclude-lb'], ['-ignore-exclude-lb'], ['--ignore-exclude-lb=true'], ['--ignore-exclude-lb=T'], ['--ignore-exclude-lb=1'],
      ['--ignore-exclude-lb=false'], ['--ignore-exclude-lb', '--ignore-exclude-lb=0'], ['--ignore-exclude-lbx'], []].map((args) => boolFlag(args, 'ignore-exclude-lb')))
      .toEqual([true, true, true, true, true, false, false, false, false]);
  });

  test('S4 without the ServiceL2Status resource (MetalLB before 0.14) it fails and says why', async () => {
    const { kubectl } = scriptedKubectl([
      [/^get servicel2statuses/, () => { throw new Error('error: the server doesn\'t have a resource type "servicel2statuses"'); }],
    ]);
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^no ServiceL2Status could be read \(MetalLB older than 0\.14 writes none/);
  });
});

describe('S4 the check list', () => {
  /** The kubectl calls of the list's S4 checks, run against a cluster that answers every call with an empty list. */
  async function s4Calls(overrides: StackConfigOverrides): Promise<string[]> {
    const { kubectl, calls } = scriptedKubectl([[/ -o json$/, list([])]]);
    const checks = stackChecks({ config: resolveStackConfig(overrides), secret: () => 'unused', kubectl, trust: { insecure: true } });
    for (const check of checks.filter((c) => c.requirement === 'S4')) await check.run();
    return calls;
  }

  test('S4 with MetalLB, ./setup.sh check asks for the speakers\' announcements of the public Services', async () => {
    expect(await s4Calls({})).toContain('get servicel2statuses.metallb.io --all-namespaces -o json');
  });

  test('S4 with a cloud\'s load balancer there is no MetalLB announcement to ask for', async () => {
    expect(await s4Calls({ loadBalancer: { mode: 'external' } })).not.toContain('get servicel2statuses.metallb.io --all-namespaces -o json');
  });
});

/**
 * kubectl's answers about the throwaway outsider pod of the B8 and B10 checks, started from the
 * nginx image with a NetworkPolicy of its own that opens its egress: its curl prints
 * `%{time_connect}`, 0.000000 when the connection was never made (a policy refused it) and the
 * seconds it took when it was. `fenced(target)` says whether a server's ingress policy refuses it.
 */
function outsiderPod(enforcing: boolean, fenced: (target: string) => boolean = () => true): Array<readonly [RegExp, string | ((line: string) => string)]> {
  return [
    [/^-n ft-services get deployment nginx -o jsonpath=\{\.spec\.template\.spec\.containers\[0\]\.image\}$/, 'nginx:5f1c2a9e\n'],
    [/^-n ft-services apply -f \S+\/outsider-egress\.json$/, 'networkpolicy.networking.k8s.io/ft-check-outsider created\n'],
    [/^-n ft-services run ft-check-outsider-\d+ --image=nginx:5f1c2a9e --restart=Never --overrides=/, 'pod/ft-check-outsider created\n'],
    [/^-n ft-services wait --for=condition=Ready pod\/ft-check-outsider-\d+/, 'pod/ft-check-outsider condition met\n'],
    [/^-n ft-services exec ft-check-outsider-\d+ -- sh -c curl /, (line) => (enforcing && fenced(/http:\/\/([^/]+)\//.exec(line)![1]) ? '0.000000' : '0.000412')],
    [/^-n ft-services delete pod ft-check-outsider-\d+ --ignore-not-found --wait=false$/, 'pod "ft-check-outsider" deleted\n'],
    [/^-n ft-services delete networkpolicy ft-check-outsider-\d+ --ignore-not-found$/, 'networkpolicy.networking.k8s.io "ft-check-outsider" deleted\n'],
  ];
}

/** The server a client's connect command dials: php's fsockopen, curl's or wget's URL. */
function dialled(command: string): string {
  const match = /fsockopen\("([^"]+)", (\d+)/.exec(command) ?? /http:\/\/([^:/]+):(\d+)\//.exec(command);
  return `${match![1]}:${match![2]}`;
}

describe('B8 the NetworkPolicies are enforced both ways, proven live', () => {
  const config = resolveStackConfig();
  /** The connections the requirement names (B8): each client and the server it opens. */
  const declared = ['wordpress mysql:3306', 'phpmyadmin mysql:3306', 'nginx phpmyadmin:5000', 'grafana influxdb:8086', 'telegraf influxdb:8086'];
  const databases = new Set(['mysql:3306', 'influxdb:8086']);

  /**
   * A cluster whose network plugin enforces ingress policies or not, and egress policies or not;
   * a client's command opens its declared server, and any other unless egress is enforced.
   */
  function cluster(enforcing: boolean, options: { failingClient?: string; egress?: boolean } = {}) {
    const egress = options.egress ?? enforcing;
    return scriptedKubectl([
      ...outsiderPod(enforcing, (target) => databases.has(target)),
      [/^-n ft-services get pods -l app\.kubernetes\.io\/name=(\w+) /, (line) => `${/name=(\w+)/.exec(line)![1]}-7d9f8\n`],
      [/^-n ft-services exec (\w+)-7d9f8 -- /, (line) => {
        const client = /exec (\w+)-/.exec(line)![1];
        const allowed = declared.includes(`${client} ${dialled(line)}`);
        if (client === options.failingClient || (egress && !allowed)) throw new Error('command terminated with exit code 1');
        return '';
      }],
    ]);
  }
  const b8 = (kubectl: ReturnType<typeof cluster>['kubectl']) =>
    stackChecks({ config, secret: () => 'unused', kubectl, trust: { insecure: true } }).filter((c) => c.requirement === 'B8');

  test('B8 on an enforcing cluster the outsider reaches neither database, every declared client opens its server, and the outsider and its policy are deleted', async () => {
    const { kubectl, calls } = cluster(true);
    const [check, ...others] = b8(kubectl);
    expect(others).toEqual([]);
    const result = await check.run();
    expect(result).toMatchObject({ requirement: 'B8', ok: true });
    expect(result.detail).toMatch(/^refused to the outsider pod; wordpress -> mysql:3306, phpmyadmin -> mysql:3306, nginx -> phpmyadmin:5000, grafana -> influxdb:8086, telegraf -> influxdb:8086; egress refused: /);
    expect(calls.filter((c) => / exec ft-check-outsider/.test(c)).slice(0, 2).map(dialled)).toEqual(['mysql:3306', 'influxdb:8086']);
    expect(calls.some((c) => /^-n ft-services delete pod ft-check-outsider-\d+ /.test(c))).toBe(true);
    expect(calls.some((c) => /^-n ft-services delete networkpolicy ft-check-outsider-\d+ /.test(c))).toBe(true);
  });

  test('B8 each client that can tell a refusal fails to open every server that admits any pod but is none of its own, and the API server', async () => {
    const { kubectl, calls } = cluster(true);
    const result = await b8(kubectl)[0].run();
    const tried = (client: string) => calls.filter((c) => c.startsWith(`-n ft-services exec ${client}-7d9f8 `)).map(dialled).filter((target) => !declared.includes(`${client} ${target}`));
    expect(tried('wordpress')).toEqual(['nginx:80', 'phpmyadmin:5000', 'ftps:21', 'grafana:3000', 'kubernetes.default.svc:443']);
    expect(tried('phpmyadmin')).toEqual(['nginx:80', 'wordpress:5050', 'ftps:21', 'grafana:3000', 'kubernetes.default.svc:443']);
    expect(tried('nginx')).toEqual(['wordpress:5050', 'ftps:21', 'grafana:3000', 'kubernetes.default.svc:443']);
    // busybox wget on /ping fails on any other server, connected or not: no proof, so not tried.
    expect(tried('grafana')).toEqual([]);
    expect(tried('telegraf')).toEqual([]);
    // The outsider opened each of them first: only egress can refuse the clients there.
    const outsiderOpened = calls.filter((c) => / exec ft-check-outsider/.test(c)).map(dialled).filter((target) => !databases.has(target));
    expect(outsiderOpened.sort()).toEqual(['ftps:21', 'grafana:3000', 'kubernetes.default.svc:443', 'nginx:80', 'phpmyadmin:5000', 'wordpress:5050']);
    expect(result.detail).toContain('wordpress -/-> nginx:80, phpmyadmin:5000, ftps:21, grafana:3000, kubernetes.default.svc:443');
  });

  test('B8 a cluster that enforces ingress policies but not egress fails the check, naming the connection that escaped', async () => {
    const { kubectl } = cluster(true, { egress: false });
    const result = await b8(kubectl)[0].run();
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^egress not enforced: nginx opened wordpress:5050, which no egress rule of nginx allows\. The cluster's network plugin ignores NetworkPolicies/);
  });

  test('B8 the outsider is one of our images, never pulled, labelled as no client, baseline-compliant, with its egress opened by a policy of its own', async () => {
    const { kubectl, calls } = cluster(true);
    await b8(kubectl)[0].run();
    const run = calls.find((c) => / run ft-check-outsider/.test(c))!;
    const pod = JSON.parse(run.slice(run.indexOf('--overrides=') + '--overrides='.length));
    const [container] = pod.spec.containers;
    expect(container).toMatchObject({ image: 'nginx:5f1c2a9e', imagePullPolicy: 'Never', securityContext: { privileged: false, allowPrivilegeEscalation: false } });
    // No NetworkPolicy of the chart admits this name (the peers select app.kubernetes.io/name of a client).
    expect(['wordpress', 'phpmyadmin', 'grafana', 'telegraf', 'nginx']).not.toContain(pod.metadata.labels['app.kubernetes.io/name']);
    // Pod Security Standard "baseline": no host namespaces, ports or paths, not privileged, no added capabilities.
    expect(pod.spec.hostNetwork ?? pod.spec.hostPID ?? pod.spec.hostIPC).toBeUndefined();
    expect(pod.spec.volumes).toBeUndefined();
    expect(container.securityContext.capabilities).toBeUndefined();
    // The policy was applied before the pod started, and selects it alone.
    expect(calls.findIndex((c) => / apply -f /.test(c))).toBeLessThan(calls.indexOf(run));
  });

  test('B8 on a cluster that ignores NetworkPolicies (minikube\'s bridge CNI) the check fails, says why and how to fix it', async () => {
    // minikube pkg/minikube/cni/cni.go (chooseDefault): with the docker driver and runtime the
    // default CNI is "bridge", which does not implement NetworkPolicy; calico (--cni=calico) does.
    const { kubectl, calls } = cluster(false);
    const result = await b8(kubectl)[0].run();
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^not enforced: a pod that is no client opened mysql:3306 and influxdb:8086\. The cluster's network plugin ignores NetworkPolicies/);
    expect(result.detail).toContain('--cni=calico');
    expect(calls.some((c) => /^-n ft-services delete pod ft-check-outsider-\d+ /.test(c))).toBe(true);
    expect(calls.some((c) => /^-n ft-services delete networkpolicy ft-check-outsider-\d+ /.test(c))).toBe(true);
  });

  test('B8 a declared client that cannot open its server fails the check with its name', async () => {
    const { kubectl } = cluster(true, { failingClient: 'grafana' });
    const result = await b8(kubectl)[0].run();
    expect(result.ok).toBe(false);
    expect(result.detail).toBe('grafana is a declared client of influxdb:8086 but cannot open it: command terminated with exit code 1');
  });

  test('B8 each client opens its server with a tool its image has: php in WordPress and phpMyAdmin, curl in nginx, busybox wget in Grafana and telegraf', () => {
    const CLIENT_CONNECT = clientConnect(stackServices());
    expect(CLIENT_CONNECT.wordpress('mysql', 3306)).toEqual(['php', '-r', 'exit(@fsockopen("mysql", 3306, $errno, $error, 5) ? 0 : 1);']);
    expect(CLIENT_CONNECT.grafana('influxdb', 8086)).toEqual(['timeout', '10', 'wget', '-q', '-O', '/dev/null', 'http://influxdb:8086/ping']);
    expect(CLIENT_CONNECT.nginx('phpmyadmin', 5000)[2]).toMatch(/^t=\$\(curl .* http:\/\/phpmyadmin:5000\/\); \[ -n "\$\(echo "\$t" \| tr -d 0\.\)" \]$/);
    const dockerfile = (service: string) => fs.readFileSync(path.join(__dirname, '..', 'srcs', service, 'Dockerfile'), 'utf8');
    expect(dockerfile('wordpress')).toMatch(/apk add --no-cache [^\n]*\bphp83 /);
    expect(dockerfile('nginx')).toMatch(/apk add --no-cache [^\n]*\bcurl\b/);
  });
});

describe('B10 every pod serves its own metrics to telegraf and to no other pod, proven live', () => {
  const config = resolveStackConfig();
  const metrics = servedMetrics();
  const served = [...metrics.keys()] as string[];
  /** Each service with metrics runs one pod at 10.244.0.<index + 10>. */
  const ipOf = (service: string) => `10.244.0.${served.indexOf(service) + 10}`;

  /**
   * A cluster that enforces the policies or not. telegraf's busybox wget gets each pod's page as
   * serve-metrics answers it: the service's metrics in Prometheus text, or `broken`'s without them.
   */
  function cluster(enforcing: boolean, broken?: string) {
    return scriptedKubectl([
      [/^-n ft-services get pods -l app\.kubernetes\.io\/name=(\w+) --field-selector=status\.phase=Running -o jsonpath=\{\.items\[\*\]\.status\.podIP\}$/,
        (line) => `${ipOf(/name=(\w+)/.exec(line)![1])}`],
      ...outsiderPod(enforcing),
      [/^-n ft-services get pods -l app\.kubernetes\.io\/name=telegraf --field-selector=status\.phase=Running -o jsonpath=\{\.items\[0\]\.metadata\.name\}$/, 'telegraf-x7k2q\n'],
      [/^-n ft-services exec telegraf-x7k2q -- timeout 10 wget -q -O - http:\/\/10\.244\.0\.(\d+):9117\/cgi-bin\/metrics$/, (line) => {
        const service = served[Number(/10\.244\.0\.(\d+):/.exec(line)![1]) - 10];
        return service === broken ? '# nothing here\n' : metrics.get(service as ServiceName)!.map((m) => `# TYPE ${m.name} ${m.type}\n${m.name} 3\n`).join('');
      }],
    ]);
  }
  const b10 = (kubectl: ReturnType<typeof cluster>['kubectl']) =>
    stackChecks({ config, secret: () => 'unused', kubectl, trust: { insecure: true } }).filter((c) => c.requirement === 'B10');

  test('B10 S4 on an enforcing cluster the outsider opens no pod\'s metrics port and telegraf reads every pod\'s metrics, by pod address', async () => {
    const { kubectl, calls } = cluster(true);
    const [check, ...others] = b10(kubectl);
    expect(others).toEqual([]);
    const result = await check.run();
    expect(result).toMatchObject({ requirement: 'B10', ok: true });
    expect(result.detail).toBe(`refused to the outsider pod; telegraf read ${served.map((s) => `${s} (${ipOf(s)})`).join(', ')}`);
    expect(calls.filter((c) => / exec ft-check-outsider/.test(c)).map((c) => /http:\/\/[\d.:]+/.exec(c)![0])).toEqual(served.map((s) => `http://${ipOf(s)}:9117`));
    expect(calls.some((c) => /^-n ft-services delete pod ft-check-outsider-\d+ /.test(c))).toBe(true);
  });

  test('B10 on a cluster that ignores NetworkPolicies the check fails, naming the metrics ports the outsider opened and the fix', async () => {
    const { kubectl } = cluster(false);
    const result = await b10(kubectl)[0].run();
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(new RegExp(`^not enforced: a pod that is no client opened the metrics port of ${served[0]} \\(${ipOf(served[0]).replace(/\./g, '\\.')}:9117\\)`));
    expect(result.detail).toContain('--cni=calico');
  });

  test('B10 a pod whose page lacks its metrics fails the check, naming the service and the metric', async () => {
    const victim = served[served.length - 1];
    const { kubectl } = cluster(true, victim);
    const result = await b10(kubectl)[0].run();
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(`${victim}'s figures at ${ipOf(victim)}:9117/cgi-bin/metrics have no ${metrics.get(victim as ServiceName)![0].name}`);
  });
});

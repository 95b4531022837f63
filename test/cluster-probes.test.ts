/**
 * `./setup.sh check`'s probes of the cluster itself, against a scripted kubectl that answers with
 * objects shaped as the real API defines them.
 */
import { stackChecks } from '../lib/setup/check';
import { resolveStackConfig, StackConfigOverrides } from '../lib/config';
import { EXCLUDE_FROM_LOAD_BALANCERS, probeAddressAnnounced } from '../lib/probes/cluster';
import { scriptedKubectl } from './support/fake-cluster';

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

/** minikube's only node as kubeadm labels a control-plane node (kubeadm's markcontrolplane phase). */
function minikubeNode(excluded: boolean) {
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
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

describe('S4 the address is announced, not only assigned', () => {
  test('S4 the announcement check passes when a node announces every public Service', async () => {
    const { kubectl, calls } = scriptedKubectl([
      [/^get servicel2statuses\.metallb\.io --all-namespaces -o json$/, list(PUBLIC.map((service) => serviceL2Status(service)))],
    ]);
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result).toMatchObject({ requirement: 'S4', ok: true, detail: `${PUBLIC.join(', ')} announced from minikube` });
    expect(calls).toEqual(['get servicel2statuses.metallb.io --all-namespaces -o json']);
  });

  test('S4 it fails on minikube\'s excluded node: assigned but not announced, the label named, and the fix', async () => {
    // MetalLB v0.16.1 speaker/layer2_controller.go (speakersForAds) skips a node that carries the
    // label unless the speaker runs with --ignore-exclude-lb (speaker/main.go): no speaker announces,
    // so no ServiceL2Status exists, while the Service's status still shows the assigned address.
    const { kubectl } = scriptedKubectl([
      [/^get servicel2statuses/, list([])],
      [/^get nodes -o json$/, list([minikubeNode(true)])],
    ]);
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^assigned but not announced: no node announces nginx, wordpress, phpmyadmin, ftps, grafana/);
    expect(result.detail).toContain(`every node carries ${EXCLUDE_FROM_LOAD_BALANCERS} (minikube`);
    expect(result.detail).toContain(`kubectl label node minikube ${EXCLUDE_FROM_LOAD_BALANCERS}-`);
    expect(result.detail).toContain('--ignore-exclude-lb');
  });

  test('S4 it fails when one Service is silent, and ignores statuses of another namespace', async () => {
    const other = { ...serviceL2Status('grafana'), status: { node: 'minikube', serviceName: 'grafana', serviceNamespace: 'monitoring' } };
    const { kubectl } = scriptedKubectl([
      [/^get servicel2statuses/, list([...PUBLIC.filter((s) => s !== 'grafana').map((s) => serviceL2Status(s)), other])],
      [/^get nodes -o json$/, list([minikubeNode(false)])],
    ]);
    const result = await probeAddressAnnounced(kubectl, 'ft-services', '192.168.49.240', PUBLIC);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^assigned but not announced: no node announces grafana, so 192\.168\.49\.240 does not answer for them; a speaker announces a Service only while a ready pod backs it/);
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

/**
 * The charts of the stack. They are three because they are applied at different moments:
 * the Namespace first (so `./setup.sh` can create the Secrets in it), the MetalLB pool once MetalLB's
 * webhook answers, then everything else.
 */
import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { IpAddressPool, L2Advertisement } from '../imports/metallb.io';
import { StackConfig } from './config';
import { METRICS_PORT } from './monitoring/pod-metrics';
import { KUBELET_PORT } from './monitoring/telegraf-config';
import { stackSecrets } from './secrets';
import { Ftps } from './services/ftps';
import { Grafana } from './services/grafana';
import { InfluxDb } from './services/influxdb';
import { MySql } from './services/mysql';
import { Nginx } from './services/nginx';
import { PhpMyAdmin } from './services/phpmyadmin';
import { Telegraf } from './services/telegraf';
import { WordPress } from './services/wordpress';
import { clientsOf, inServiceOrder, selectorLabels, STACK_NAME, StackService } from './stack-service';

/** The namespace MetalLB's release manifest installs into. */
export const METALLB_NAMESPACE = 'metallb-system';

export interface StackChartProps extends ChartProps {
  readonly config: StackConfig;
}

/** The stack's one namespace (K4), enforcing the Pod Security Standard "baseline" (B4). */
export class NamespaceChart extends Chart {
  readonly stackNamespace: kplus.Namespace;

  constructor(scope: Construct, id: string, props: StackChartProps) {
    super(scope, id, { ...props, disableResourceNameHashes: true });
    this.stackNamespace = new kplus.Namespace(this, 'Namespace', {
      metadata: {
        name: props.config.namespace,
        labels: {
          'app.kubernetes.io/part-of': STACK_NAME,
          'pod-security.kubernetes.io/enforce': 'baseline',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'baseline',
          'pod-security.kubernetes.io/audit': 'baseline',
        },
      },
    });
  }
}

/**
 * MetalLB's pool of exactly one address, announced over L2 (S4). `autoAssign: false` keeps the
 * address for the Services that ask for this pool, so nothing else in the cluster takes it.
 */
export class MetalLbChart extends Chart {
  constructor(scope: Construct, id: string, props: StackChartProps) {
    super(scope, id, { ...props, namespace: METALLB_NAMESPACE, disableResourceNameHashes: true });
    const metadata = { name: STACK_NAME, labels: { 'app.kubernetes.io/part-of': STACK_NAME } };
    new IpAddressPool(this, 'Pool', {
      metadata,
      spec: { addresses: [`${props.config.loadBalancer.address}/32`], autoAssign: false },
    });
    new L2Advertisement(this, 'L2', { metadata, spec: { ipAddressPools: [STACK_NAME] } });
  }
}

/** Every workload, Service, volume and policy of the stack. */
export class StackChart extends Chart {
  /** The stack's services, in the order of SERVICE_NAMES: the one model `check` and `docs` read. */
  readonly services: readonly StackService[];

  constructor(scope: Construct, id: string, props: StackChartProps) {
    const { config } = props;
    super(scope, id, { ...props, namespace: config.namespace, disableResourceNameHashes: true });
    const secrets = stackSecrets(config);

    const mysql = new MySql(this, 'MySql', { config, secrets });
    const wordpress = new WordPress(this, 'WordPress', { config, secrets, mysql });
    const phpMyAdmin = new PhpMyAdmin(this, 'PhpMyAdmin', { config, secrets, mysql });
    const nginx = new Nginx(this, 'Nginx', { config, secrets, phpMyAdmin });
    const ftps = new Ftps(this, 'Ftps', { config, secrets });
    const influxdb = new InfluxDb(this, 'InfluxDb', { config, secrets });
    const telegraf = new Telegraf(this, 'Telegraf', { config, secrets, influxdb });
    const monitored = [nginx, wordpress, mysql, phpMyAdmin, ftps, influxdb, telegraf];
    const grafana = new Grafana(this, 'Grafana', { config, secrets, influxdb, monitored });
    const built = [...monitored, grafana];
    denyEgressByDefault(this);
    for (const service of built) {
      if (service.clientsOnly) allowOnlyClients(this, service, clientsOf(service, built));
      const egress = egressRules(service, built, config);
      if (egress.length > 0) allowEgress(this, service, egress);
    }
    this.services = inServiceOrder(built);
  }
}

/**
 * B8: `target` accepts connections on its ports from `clients` only; every other pod, in this
 * namespace or another, is refused.
 */
function allowOnlyClients(scope: Construct, target: StackService, clients: readonly StackService[]): void {
  const select = (service: StackService) => kplus.Pods.select(scope, `${target.name}-from-${service.name}`, { labels: selectorLabels(service.name) });
  new kplus.NetworkPolicy(scope, `${target.name}-policy`, {
    metadata: { name: `${target.name}-allow-clients` },
    selector: kplus.Pods.select(scope, `${target.name}-pods`, { labels: selectorLabels(target.name) }),
    ingress: {
      default: kplus.NetworkPolicyTrafficDefault.DENY,
      rules: clients.map((client) => ({
        peer: select(client),
        ports: target.ports.map((port) => kplus.NetworkPolicyPort.tcp(port.containerPort)),
      })),
    },
  });
}

/**
 * CoreDNS's pods, with the labels kubeadm and minikube give them (kubeadm
 * cmd/kubeadm/app/phases/addons/dns/manifests.go: `k8s-app: kube-dns` in `kube-system`, whose name
 * label the API server sets on every namespace).
 */
const DNS_PEER: k8s.NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

const port = (protocol: 'TCP' | 'UDP', number: number): k8s.NetworkPolicyPort => ({ protocol, port: k8s.IntOrString.fromNumber(number) });
const podsOf = (service: StackService): k8s.NetworkPolicyPeer => ({ podSelector: { matchLabels: selectorLabels(service.name) } });

/**
 * B8: no pod of the namespace opens a connection that a policy of its own does not allow (an
 * egress rule of any policy that selects it); ingress is not this policy's business.
 */
function denyEgressByDefault(scope: Construct): void {
  new k8s.KubeNetworkPolicy(scope, 'DenyEgress', {
    metadata: { name: 'default-deny-egress', labels: { 'app.kubernetes.io/part-of': STACK_NAME } },
    spec: { podSelector: {}, policyTypes: ['Egress'] },
  });
}

/**
 * B8: the connections `service` opens, from the one model the ingress policies are made of, each its
 * own rule; none for a service that opens none (the databases, FTPS):
 * - DNS to CoreDNS, for a service that opens any connection (it dials its servers by name);
 * - each service it `connectsTo`, on that service's container ports (a NetworkPolicy sees the
 *   connection after kube-proxy's DNAT: the pod's address and port, not the Service's);
 * - the metrics port of each service whose pods it scrapes (`podMetrics.scrapedBy`, B10);
 * - with `apiAccess`, the kubelet's port and the API server's ports, to any address. Their addresses
 *   are the nodes' and the control plane's, unknown when the chart is synthesized and different on
 *   every cluster (minikube's depend on its driver), and an `ipBlock` with the wrong range would
 *   silently stop the metrics. So the rule names ports alone, for this one service: the
 *   `kubernetes` Service's 10.96.0.1:443 is DNATed to an endpoint such as 192.168.49.2:8443 before
 *   the policy is checked (kubernetes.io/docs/concepts/services-networking/network-policies, "what
 *   you can't do": policies act after kube-proxy's translation), so the rule names the endpoint's
 *   ports, `telegraf.apiServerPorts`, not 443.
 */
export function egressRules(service: StackService, services: readonly StackService[], config: StackConfig): k8s.NetworkPolicyEgressRule[] {
  const scraped = inServiceOrder(services.filter((other) => other.podMetrics?.scrapedBy === service.name));
  const rules: k8s.NetworkPolicyEgressRule[] = [
    ...service.connectsTo.map((target) => ({ to: [podsOf(target)], ports: target.ports.map((p) => port('TCP', p.containerPort)) })),
    ...scraped.map((target) => ({ to: [podsOf(target)], ports: [port('TCP', METRICS_PORT)] })),
    ...(service.serviceAccount === undefined ? [] : [{ ports: [KUBELET_PORT, ...config.telegraf.apiServerPorts].map((p) => port('TCP', p)) }]),
  ];
  return rules.length === 0 ? [] : [{ to: [DNS_PEER], ports: [port('UDP', 53), port('TCP', 53)] }, ...rules];
}

/** B8: `service`'s pods may open what `rules` allow, and nothing else (denyEgressByDefault). */
function allowEgress(scope: Construct, service: StackService, rules: readonly k8s.NetworkPolicyEgressRule[]): void {
  new k8s.KubeNetworkPolicy(scope, `${service.name}-egress`, {
    metadata: { name: `${service.name}-allow-egress`, labels: service.labels },
    spec: { podSelector: { matchLabels: selectorLabels(service.name) }, policyTypes: ['Egress'], egress: [...rules] },
  });
}

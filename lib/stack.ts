/**
 * The charts of the stack. They are three because they are applied at different moments:
 * the Namespace first (so `./setup.sh` can create the Secrets in it), the MetalLB pool once MetalLB's
 * webhook answers, then everything else.
 */
import { Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { IpAddressPool, L2Advertisement } from '../imports/metallb.io';
import { StackConfig } from './config';
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
    for (const service of built) {
      if (service.clientsOnly) allowOnlyClients(this, service, clientsOf(service, built));
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

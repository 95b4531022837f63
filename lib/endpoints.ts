/**
 * Where each service is reached, decided once (S4, S12): what a Service type means, and every
 * public URL on the load-balancer address. The constructs, `./setup.sh`'s summary and
 * `./setup.sh check` all read them from here, so a moved port moves everywhere at once.
 */
import { LoadBalancerMode, StackConfig } from './config';

/** How a service's ports are reachable (S4, S12). */
export type ServiceType = 'LoadBalancer' | 'ClusterIP';

/** What a service construct is told about its Service: the type, and for LoadBalancer the shared address. */
export type Exposure =
  | { readonly type: 'LoadBalancer'; readonly address: string; readonly mode: LoadBalancerMode }
  | { readonly type: 'ClusterIP' }
  | { readonly type: 'none' };

/**
 * A Service of `type`: public on the shared address, inside the cluster only (the databases), or
 * `none` (telegraf serves nobody).
 */
export function serviceExposure(config: StackConfig, type: ServiceType | 'none'): Exposure {
  return type === 'LoadBalancer' ? { type, ...config.loadBalancer } : { type };
}

export type Scheme = 'http' | 'https' | 'ftp' | 'ssh';

/** The ports a URL may leave out, because every client assumes them. */
const DEFAULT_PORTS: Readonly<Partial<Record<Scheme, number>>> = { http: 80, https: 443 };

export interface PublicEndpoint {
  readonly scheme: Scheme;
  /** The load-balancer address. */
  readonly host: string;
  readonly port: number;
  /** What follows the host in a URL: `:8443`, or nothing on the scheme's default port. */
  readonly portSuffix: string;
  /** `scheme://host[:port]`, without a trailing slash. */
  readonly url: string;
}

/** The public entry points, one per public port of the configuration (`config.ports`). */
export type PublicEndpoints = Readonly<Record<keyof StackConfig['ports'], PublicEndpoint>>;

export function publicEndpoints(config: StackConfig): PublicEndpoints {
  const host = config.loadBalancer.address;
  const { ports } = config;
  const endpoint = (scheme: Scheme, port: number): PublicEndpoint => {
    const portSuffix = DEFAULT_PORTS[scheme] === port ? '' : `:${port}`;
    return { scheme, host, port, portSuffix, url: `${scheme}://${host}${portSuffix}` };
  };
  return {
    http: endpoint('http', ports.http),
    https: endpoint('https', ports.https),
    ssh: endpoint('ssh', ports.ssh),
    wordpress: endpoint('https', ports.wordpress),
    phpmyadmin: endpoint('https', ports.phpmyadmin),
    ftps: endpoint('ftp', ports.ftps),
    grafana: endpoint('https', ports.grafana),
  };
}

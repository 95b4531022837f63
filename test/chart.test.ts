import { capabilityList } from '../lib/capabilities';
import { resolveStackConfig, SERVICE_NAMES } from '../lib/config';
import { publicEndpoints } from '../lib/endpoints';
import { ENDPOINT_DRAIN_SECONDS, writableVolumeName } from '../lib/stack-service';
import { TELEGRAF_USER } from '../lib/services/telegraf';
import { HANDED_DIR, secretFiles, stackSecrets } from '../lib/secrets';
import { containersOf, Manifest, matches, named, ofKind, synth, workloads } from './support/manifests';
import { servedMetrics, stackServices } from './support/model';

const stack = synth();
const objects = stack.charts['ft-services'];
const services = ofKind(objects, 'Service');
const loadBalancers = services.filter((s) => s.spec.type === 'LoadBalancer');
const servicePorts = (name: string) => named(objects, 'Service', name).spec.ports.map((p: Manifest) => p.port);
const workload = (name: string) => workloads(objects).find((w) => w.metadata.name === name);
const container = (name: string) => containersOf(workload(name)).find((c: Manifest) => c.name === name);
const env = (name: string) => Object.fromEntries(container(name).env.map((e: Manifest) => [e.name, e.value ?? e.valueFrom]));
const mounts = (name: string) => Object.fromEntries(container(name).volumeMounts.map((m: Manifest) => [m.mountPath, m]));

describe('S2 images', () => {
  test.each(SERVICE_NAMES)('S2 %s runs one container, from its own image named after the service, never latest', (name) => {
    const containers = containersOf(workload(name));
    expect(containers).toHaveLength(1);
    expect(containers[0].name).toBe(name);
    expect(containers[0].image).toBe(`${name}:0.1.0`);
  });

  test.each(SERVICE_NAMES)('S2 %s without a registry is never pulled: the image setup built into the cluster, or ErrImageNeverPull', (name) => {
    // Kubernetes docs, "Images" > "Image pull policy": with Never the kubelet does not try to fetch
    // the image; a missing one fails the container with ErrImageNeverPull.
    expect(containersOf(workload(name))[0].imagePullPolicy).toBe('Never');
  });
});

describe('S4 one load-balancer address is the only way in', () => {
  test('S4 S12 nginx, wordpress, phpmyadmin, ftps and grafana are LoadBalancer; mysql and influxdb ClusterIP', () => {
    expect(Object.fromEntries(services.map((s) => [s.metadata.name, s.spec.type]))).toEqual({
      nginx: 'LoadBalancer', wordpress: 'LoadBalancer', phpmyadmin: 'LoadBalancer', ftps: 'LoadBalancer', grafana: 'LoadBalancer',
      mysql: 'ClusterIP', influxdb: 'ClusterIP',
    });
  });

  test('S4 every LoadBalancer asks MetalLB for the same address with the same sharing key', () => {
    for (const service of loadBalancers) {
      expect(service.metadata.annotations).toEqual({
        'metallb.io/allow-shared-ip': 'ft-services',
        'metallb.io/address-pool': 'ft-services',
        'metallb.io/loadBalancerIPs': '192.168.49.240',
      });
    }
  });

  test('S4 sharing holds: externalTrafficPolicy Cluster everywhere and no port used twice on the address', () => {
    expect(loadBalancers.map((s) => s.spec.externalTrafficPolicy)).toEqual(loadBalancers.map(() => 'Cluster'));
    const ports = loadBalancers.flatMap((s) => s.spec.ports.map((p: Manifest) => p.port));
    expect(new Set(ports).size).toBe(ports.length);
  });

  test('S4 the MetalLB pool holds exactly the one address, announced over L2', () => {
    const [pool] = ofKind(stack.charts['ft-services-metallb'], 'IPAddressPool');
    expect(pool.spec).toEqual({ addresses: ['192.168.49.240/32'], autoAssign: false });
    const [l2] = ofKind(stack.charts['ft-services-metallb'], 'L2Advertisement');
    expect(l2.spec.ipAddressPools).toEqual([pool.metadata.name]);
  });

  test('S4 no LoadBalancer Service allocates NodePorts behind the address', () => {
    // MetalLB layer 2 sends the address's traffic to one node, where kube-proxy forwards it to the
    // pods; no NodePort is involved (metallb website/content/concepts/layer2.md at v0.16.1;
    // metallb issue 328). Kubernetes allocates NodePorts unless this field is false (ServiceSpec).
    expect(loadBalancers.map((s) => [s.metadata.name, s.spec.allocateLoadBalancerNodePorts]))
      .toEqual(loadBalancers.map((s) => [s.metadata.name, false]));
  });

  test('S4 no NodePort, Ingress, hostPort or hostNetwork anywhere', () => {
    expect(stack.all.filter((o) => o.kind === 'Ingress')).toEqual([]);
    expect(services.filter((s) => s.spec.type === 'NodePort')).toEqual([]);
    for (const w of workloads(objects)) {
      expect(w.spec.template.spec.hostNetwork).toBe(false);
      for (const c of containersOf(w)) expect((c.ports ?? []).filter((p: Manifest) => p.hostPort !== undefined)).toEqual([]);
    }
  });
});

describe('S5–S9 services and ports', () => {
  test('S5 WordPress listens on 5050 and is reached directly at IP:5050', () => {
    expect(servicePorts('wordpress')).toEqual([5050]);
    expect(container('wordpress').ports).toEqual([{ name: 'https', containerPort: 5050 }]);
  });

  test('S5 WordPress installs its site with the configured administrator and two other roles', () => {
    expect(env('wordpress').WORDPRESS_USERS).toBe('admin:administrator:admin@ft-services.local editor:editor:editor@ft-services.local author:author:author@ft-services.local');
    expect(env('wordpress').WORDPRESS_URL).toBe('https://192.168.49.240:5050');
  });

  test('S5 WordPress reaches MySQL through the mysql Service', () => {
    expect(env('wordpress')).toMatchObject({ WORDPRESS_DB_HOST: 'mysql:3306', WORDPRESS_DB_NAME: 'wordpress', WORDPRESS_DB_USER: 'wordpress' });
  });

  test('S6 phpMyAdmin listens on 5000 and points at the mysql Service', () => {
    expect(servicePorts('phpmyadmin')).toEqual([5000]);
    expect(env('phpmyadmin')).toEqual({
      PMA_HOST: 'mysql', PMA_PORT: '3306', PMA_LISTEN: '5000', METRICS_LISTEN: '9117', METRICS_CACHE_SECONDS: '5', RUN_TOGETHER_GRACE: '10',
      HANDED_DIR: HANDED_DIR, DAEMON_HANDED: 'phpmyadmin/blowfish-secret',
    });
  });

  test('S7 nginx listens on 80, 443 and 22 (SSH) on the shared address', () => {
    expect(servicePorts('nginx')).toEqual([80, 443, 22]);
    expect(container('nginx').ports.map((p: Manifest) => p.containerPort)).toEqual([80, 443, 22]);
  });

  test('S7 nginx redirects /wordpress to WordPress\'s public port and proxies /phpmyadmin/ to the phpmyadmin Service', () => {
    expect(env('nginx')).toEqual({
      SSH_USER: 'ftadmin', HTTPS_PORT_SUFFIX: '', WORDPRESS_PORT_SUFFIX: ':5050', PHPMYADMIN_URL: 'https://phpmyadmin:5000',
      NGINX_HTTP_LISTEN: '80', NGINX_HTTPS_LISTEN: '443', SSH_LISTEN_PORT: '22', METRICS_LISTEN: '9117', METRICS_CACHE_SECONDS: '5', RUN_TOGETHER_GRACE: '10',
    });
  });

  test('S8 FTPS serves 21 and every passive port, on the Service and the container alike', () => {
    const passive = [21100, 21101, 21102, 21103, 21104];
    expect(servicePorts('ftps')).toEqual([21, ...passive]);
    expect(container('ftps').ports.map((p: Manifest) => p.containerPort)).toEqual([21, ...passive]);
  });

  test('S8 FTPS advertises the load-balancer address for passive data connections', () => {
    expect(env('ftps')).toEqual({ FTPS_USER: 'ftpuser', FTPS_LISTEN_PORT: '21', FTPS_PASV_ADDRESS: '192.168.49.240', FTPS_PASV_MIN_PORT: '21100', FTPS_PASV_MAX_PORT: '21104', METRICS_LISTEN: '9117', METRICS_CACHE_SECONDS: '5', RUN_TOGETHER_GRACE: '10' });
  });

  test('S9 Grafana listens on 3000', () => {
    expect(servicePorts('grafana')).toEqual([3000]);
  });

  test('S4 B15 every public web port is named after the scheme it serves (Grafana\'s HTTPS port was named http)', () => {
    const schemes = new Map(Object.values(publicEndpoints(resolveStackConfig())).map((e) => [e.port, e.scheme]));
    const webPorts = loadBalancers.flatMap((s) => s.spec.ports.map((p: Manifest) => ({ at: `${s.metadata.name}:${p.port}`, name: p.name, scheme: schemes.get(p.port) })))
      .filter((p) => p.scheme === 'http' || p.scheme === 'https');
    expect(webPorts.map((p) => `${p.at} ${p.name}`)).toEqual(webPorts.map((p) => `${p.at} ${p.scheme}`));
    expect(webPorts.map((p) => p.at)).toContain('grafana:3000');
  });

  test('S5 S6 S7 S9 public ports follow the stack configuration', () => {
    const moved = synth({ ports: { http: 8080, https: 8443, ssh: 2222, wordpress: 6050, phpmyadmin: 6000, grafana: 4000, ftps: 2121 } }).charts['ft-services'];
    const ports = (name: string) => named(moved, 'Service', name).spec.ports.map((p: Manifest) => [p.port, p.targetPort]);
    expect(ports('nginx')).toEqual([[8080, 80], [8443, 443], [2222, 22]]);
    expect(ports('wordpress')).toEqual([[6050, 5050]]);
    expect(ports('phpmyadmin')).toEqual([[6000, 5000]]);
    expect(ports('grafana')).toEqual([[4000, 3000]]);
    expect(ports('ftps')[0]).toEqual([2121, 21]);
    const nginxEnv = Object.fromEntries(containersOf(named(moved, 'Deployment', 'nginx'))[0].env.map((e: Manifest) => [e.name, e.value]));
    expect(nginxEnv).toMatchObject({ HTTPS_PORT_SUFFIX: ':8443', WORDPRESS_PORT_SUFFIX: ':6050' });
  });
});

describe('S10 K6 databases keep their data', () => {
  test.each([['mysql', '/var/lib/mysql'], ['influxdb', '/var/lib/influxdb']])('S10 K6 %s mounts its PersistentVolumeClaim at %s', (name, path) => {
    const volume = workload(name).spec.template.spec.volumes.find((v: Manifest) => v.name === mounts(name)[path].name);
    expect(volume.persistentVolumeClaim.claimName).toBe(`${name}-data`);
    expect(named(objects, 'PersistentVolumeClaim', `${name}-data`).spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
  });

  test.each(['mysql', 'influxdb', 'wordpress', 'ftps', 'grafana'])('S10 K6 %s runs one pod with the Recreate strategy, so two pods never share its volume', (name) => {
    expect(workload(name).spec.replicas).toBe(1);
    expect(workload(name).spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('S10 K6 every claim comes before the workload that mounts it, in the order kubectl applies the manifests', () => {
    // kubectl apply sends the objects in the order of the file; a Deployment before its claim makes
    // the scheduler log `persistentvolumeclaim "influxdb-data" not found` on a first deploy.
    const mounting = workloads(objects).flatMap((w) => w.spec.template.spec.volumes
      .filter((v: Manifest) => v.persistentVolumeClaim !== undefined)
      .map((v: Manifest) => ({ workload: w.metadata.name, claim: v.persistentVolumeClaim.claimName })));
    expect(mounting.map(({ claim }) => claim).sort()).toEqual(ofKind(objects, 'PersistentVolumeClaim').map((c) => c.metadata.name).sort());
    const position = (kind: string, name: string) => objects.findIndex((o) => o.kind === kind && o.metadata.name === name);
    const late = mounting.filter(({ workload: name, claim }) => position('PersistentVolumeClaim', claim) > position('Deployment', name));
    expect(late).toEqual([]);
  });

  test('S8 FTPS files, WordPress uploads and Grafana\'s database survive a restart too', () => {
    expect(mounts('ftps')['/var/lib/ftp'].name).toBe('data');
    expect(mounts('wordpress')['/var/www/wordpress/wp-content/uploads'].name).toBe('data');
    expect(mounts('grafana')['/var/lib/grafana'].name).toBe('data');
  });
});

describe('S11 K1 probes', () => {
  test.each(SERVICE_NAMES)('K1 S11 %s has liveness, readiness and startup probes that test the real service, not a bare TCP port', (name) => {
    const c = container(name);
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      expect(probe).toBeDefined();
      expect(probe.tcpSocket).toBeUndefined();
      expect(probe.exec ?? probe.httpGet).toBeDefined();
    }
  });

  test('K1 S11 containers that run two daemons are checked by their image\'s healthcheck (both daemons), the others by their own HTTP endpoint', () => {
    const checks = Object.fromEntries(SERVICE_NAMES.map((name) => {
      const probe = container(name).livenessProbe;
      return [name, probe.exec ? probe.exec.command.join(' ') : `${probe.httpGet.scheme} ${probe.httpGet.port}${probe.httpGet.path}`];
    }));
    expect(checks).toEqual({
      nginx: 'healthcheck', mysql: 'healthcheck', ftps: 'healthcheck',
      wordpress: 'HTTPS 5050/healthz.php', phpmyadmin: 'HTTPS 5000/healthz.php',
      grafana: 'HTTPS 3000/api/health', influxdb: 'HTTP 8086/ping', telegraf: 'HTTP 8080/',
    });
  });

  test('S10 K1 first boots get time: MySQL and WordPress may take minutes before liveness counts', () => {
    const allowance = (name: string) => container(name).startupProbe.periodSeconds * container(name).startupProbe.failureThreshold;
    expect(allowance('mysql')).toBeGreaterThanOrEqual(300);
    expect(allowance('wordpress')).toBeGreaterThan(allowance('mysql'));
  });
});

describe('K2 credentials live in Secrets only', () => {
  test('K2 the chart emits no Secret object and no environment value that looks like a credential', () => {
    expect(ofKind(stack.all, 'Secret')).toEqual([]);
    for (const w of workloads(objects)) {
      for (const c of containersOf(w)) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|SECRET|TOKEN|KEY/.test(e.name)) expect(e.valueFrom?.secretKeyRef).toBeDefined();
        }
      }
    }
  });

  test('K2 every Secret the pods mount is one the stack names, mounted read-only under /run/secrets/<name>', () => {
    const known = new Set(Object.values(stackSecrets(stack.config)).map((s) => s.name));
    for (const w of workloads(objects)) {
      const volumes = w.spec.template.spec.volumes ?? [];
      for (const volume of volumes.filter((v: Manifest) => v.secret)) {
        expect(known).toContain(volume.secret.secretName);
        const mount = containersOf(w)[0].volumeMounts.find((m: Manifest) => m.name === volume.name);
        expect(mount).toMatchObject({ mountPath: `/run/secrets/${volume.secret.secretName}`, readOnly: true });
      }
    }
  });

  test('B11 B15 every Secret is mounted 0400, for root alone, in every pod', () => {
    const modes = workloads(objects).flatMap((w) => (w.spec.template.spec.volumes ?? []).filter((v: Manifest) => v.secret).map((v: Manifest) => v.secret.defaultMode));
    expect(modes.length).toBeGreaterThan(0);
    expect(new Set(modes)).toEqual(new Set([0o400]));
  });

  test('B15 a process that is not root gets copies of the Secret files its module declares, on a memory-backed volume of their own', () => {
    const handed = Object.fromEntries(workloads(objects).map((w) => {
      const [container] = containersOf(w);
      const env = Object.fromEntries((container.env ?? []).filter((e: Manifest) => e.value !== undefined).map((e: Manifest) => [e.name, e.value]));
      const volume = (w.spec.template.spec.volumes ?? []).find((v: Manifest) => v.name === 'handed-secrets');
      const mount = (container.volumeMounts ?? []).find((m: Manifest) => m.name === 'handed-secrets');
      return [w.metadata.name, { dir: env.HANDED_DIR, daemon: env.DAEMON_HANDED, metrics: env.METRICS_HANDED, volume: volume?.emptyDir, mountPath: mount?.mountPath }];
    }).filter(([, v]) => v.dir !== undefined || v.volume !== undefined));
    const onVolume = { dir: HANDED_DIR, volume: { medium: 'Memory', sizeLimit: '1Mi' }, mountPath: HANDED_DIR };
    expect(handed).toEqual({
      // php-fpm's workers: the database password and the salts (wp-config.php); the users' passwords are install.php's, as root.
      wordpress: { ...onVolume, daemon: 'mysql-wordpress/password wordpress-keys/salt', metrics: undefined },
      phpmyadmin: { ...onVolume, daemon: 'phpmyadmin/blowfish-secret', metrics: undefined },
      // Grafana reads its own; its collector /metrics' password and the certificate, never its key.
      grafana: {
        ...onVolume,
        daemon: 'grafana-admin/password grafana-metrics/password influxdb-grafana/password tls/tls.crt tls/tls.key',
        metrics: 'grafana-metrics/password tls/tls.crt',
      },
    });
  });

  test('B15 a reader is handed only keys its Secret has', () => {
    const secrets = stackSecrets(resolveStackConfig({}));
    expect(() => secretFiles(secrets.tls, 'tls.pem')).toThrow('Secret tls has no key tls.pem; its keys are tls.crt, tls.key');
  });

  test('K2 only the SSH host key may be absent (the image then generates one)', () => {
    const optional = workloads(objects).flatMap((w) => (w.spec.template.spec.volumes ?? []).filter((v: Manifest) => v.secret?.optional).map((v: Manifest) => v.secret.secretName));
    expect(optional).toEqual(['ssh-host-keys']);
  });
});

describe('K4 one namespace, consistent labels, exact selectors', () => {
  test('K4 every namespaced object is in the stack namespace, which enforces Pod Security baseline', () => {
    const [namespace] = stack.charts['ft-services-namespace'];
    expect(namespace.metadata.name).toBe('ft-services');
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding']);
    for (const o of objects.filter((x) => !clusterScoped.has(x.kind))) expect(o.metadata.namespace).toBe('ft-services');
  });

  test('K4 every object of a service carries the app.kubernetes.io labels', () => {
    for (const o of objects.filter((x) => ['Deployment', 'DaemonSet', 'Service', 'PersistentVolumeClaim'].includes(x.kind))) {
      expect(Object.keys(o.metadata.labels).sort()).toEqual([
        'app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by',
        'app.kubernetes.io/name', 'app.kubernetes.io/part-of', 'app.kubernetes.io/version',
      ]);
      expect(o.metadata.labels['app.kubernetes.io/part-of']).toBe('ft-services');
    }
  });

  test('K4 each Service, workload selector and network policy selects exactly one workload\'s pods', () => {
    const podLabels = workloads(objects).map((w) => ({ name: w.metadata.name, labels: w.spec.template.metadata.labels }));
    const selected = (selector: Record<string, string>) => podLabels.filter((p) => matches(selector, p.labels)).map((p) => p.name);
    for (const s of services) expect(selected(s.spec.selector)).toEqual([s.metadata.name]);
    for (const w of workloads(objects)) expect(selected(w.spec.selector.matchLabels)).toEqual([w.metadata.name]);
    // The namespace's default deny (B8) selects every pod on purpose.
    for (const policy of ofKind(objects, 'NetworkPolicy').filter((p) => p.metadata.name !== 'default-deny-egress')) {
      expect(selected(policy.spec.podSelector.matchLabels)).toHaveLength(1);
      // A rule without `from` or `to` admits every peer (the public ports of a pod whose metrics port
      // is fenced; the kubelet's and API server's ports); a peer of another namespace (CoreDNS) has none of our pods.
      // A policy without rules (telegraf's) admits nothing.
      const peers = [...(policy.spec.ingress ?? []).flatMap((rule: Manifest) => rule.from ?? []), ...(policy.spec.egress ?? []).flatMap((rule: Manifest) => rule.to ?? [])];
      for (const peer of peers.filter((p) => p.namespaceSelector === undefined)) expect(selected(peer.podSelector.matchLabels)).toHaveLength(1);
    }
  });
});

describe('K5 resources fit minikube', () => {
  /**
   * minikube's smallest VM has 2 CPUs and 2200 MB (2098Mi, less the kubelet's 100Mi hard eviction
   * threshold). Its own pods request about 750m CPU and 170Mi (kube-apiserver 250m, controller-manager
   * 200m, scheduler 100m, etcd 100m + 100Mi, coredns 100m + 70Mi). MetalLB and the dashboard request
   * nothing (metallb config/manifests/metallb-native.yaml v0.16.1 and minikube
   * deploy/addons/dashboard/dashboard-dp.yaml.tmpl set no resources). Calico, the CNI that enforces
   * the NetworkPolicies (B8), requests 250m CPU for calico-node and nothing else (minikube
   * pkg/minikube/cni/calico.yaml, calico v3.32.1). That leaves 1000m and about 1800Mi; this budget
   * keeps a quarter of the CPU and of the memory to spare.
   *
   * Its disk is 20000 MB (minikube's DefaultDiskSize), all of it allocatable: minikube's kubelet keeps
   * none back (evictionHard nodefs.available "0%", pkg/minikube/bootstrapper/bsutil/ktmpl/v1beta4.go).
   * The images and the volumes share it (storage.sizes claim 4.25Gi by default). The stack's writable
   * layers, logs and emptyDirs stay within a tenth of it even when every container is at its limit,
   * and the requests, what the scheduler reserves, within a fortieth.
   */
  const BUDGET = { cpuMillis: 500, memoryMebibytes: 1280, ephemeralStorageRequestMebibytes: 512, ephemeralStorageLimitMebibytes: 2048 };
  const millis = (cpu: string) => (cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000);
  const mebibytes = (memory: string) => (memory.endsWith('Gi') ? Number(memory.slice(0, -2)) * 1024 : Number(memory.replace(/Mi$/, '')));

  test.each(SERVICE_NAMES)('K5 B15 %s has CPU, memory and ephemeral-storage requests and limits', (name) => {
    const { requests, limits } = container(name).resources;
    expect(Object.keys(requests).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
    expect(Object.keys(limits).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
  });

  test('K5 Grafana is given the 512 MB its documentation names as the minimum, and may use a whole CPU', () => {
    // grafana.com/docs/grafana/v10.1/setup-grafana/installation/ and later: "Minimum recommended
    // memory: 512 MB", "Minimum recommended CPU: 1".
    const { requests, limits } = container('grafana').resources;
    expect(mebibytes(requests.memory) * 1024 * 1024).toBeGreaterThanOrEqual(512e6);
    expect(millis(limits.cpu)).toBeGreaterThanOrEqual(1000);
  });

  test(`K5 the whole stack requests at most ${BUDGET.cpuMillis}m CPU and ${BUDGET.memoryMebibytes}Mi memory`, () => {
    const containers = workloads(objects).flatMap((w) => containersOf(w).map((c) => ({ c, replicas: w.spec.replicas ?? 1 })));
    const cpu = containers.reduce((sum, { c, replicas }) => sum + replicas * millis(c.resources.requests.cpu), 0);
    const memory = containers.reduce((sum, { c, replicas }) => sum + replicas * mebibytes(c.resources.requests.memory), 0);
    expect(cpu).toBeLessThanOrEqual(BUDGET.cpuMillis);
    expect(memory).toBeLessThanOrEqual(BUDGET.memoryMebibytes);
  });

  test(`K5 B15 the whole stack requests at most ${BUDGET.ephemeralStorageRequestMebibytes}Mi of ephemeral storage, and its limits add up to at most ${BUDGET.ephemeralStorageLimitMebibytes}Mi`, () => {
    const containers = workloads(objects).flatMap((w) => containersOf(w).map((c) => ({ c, replicas: w.spec.replicas ?? 1 })));
    const total = (kind: 'requests' | 'limits') => containers.reduce((sum, { c, replicas }) => sum + replicas * mebibytes(c.resources[kind]['ephemeral-storage']), 0);
    expect(total('requests')).toBeLessThanOrEqual(BUDGET.ephemeralStorageRequestMebibytes);
    expect(total('limits')).toBeLessThanOrEqual(BUDGET.ephemeralStorageLimitMebibytes);
  });
});

describe('K7 telegraf', () => {
  test('K7 telegraf runs as a DaemonSet, one pod per node', () => {
    expect(workload('telegraf').kind).toBe('DaemonSet');
    expect(workloads(objects).filter((w) => w.kind === 'DaemonSet').map((w) => w.metadata.name)).toEqual(['telegraf']);
  });
});

describe('S9 B3 monitoring wiring', () => {
  const configMap = (name: string) => named(objects, 'ConfigMap', name).data;

  test('S9 Grafana\'s datasource points at the influxdb Service with the read-only user, the password only as a file reference', () => {
    const datasource = configMap('grafana-datasources')['influxdb.yaml'];
    expect(datasource).toContain('url: http://influxdb:8086');
    expect(datasource).toContain('user: grafana');
    // Grafana's own copy of the mounted Secret (srcs/common/hand-over).
    expect(datasource).toContain(`password: $__file{${HANDED_DIR}/daemon/influxdb-grafana/password}`);
    expect(mounts('grafana')['/run/secrets/influxdb-grafana']).toBeDefined();
    expect(env('grafana').DAEMON_HANDED.split(' ')).toContain('influxdb-grafana/password');
  });

  test('S9 B3 Grafana gets one provisioned dashboard per service of the chart, itself included', () => {
    const files = Object.keys(configMap('grafana-dashboards')).sort();
    expect(files).toEqual(workloads(objects).map((w) => `ft-${w.metadata.name}.json`).sort());
    expect(files).toHaveLength(SERVICE_NAMES.length);
    expect(mounts('grafana')['/etc/grafana/dashboards']).toMatchObject({ readOnly: true });
    expect(mounts('grafana')['/etc/grafana/provisioning/datasources']).toMatchObject({ readOnly: true });
    expect(mounts('grafana')['/etc/grafana/provisioning/dashboards']).toMatchObject({ readOnly: true });
  });

  test('K7 telegraf reads the kubelet of its own node and writes to the influxdb Service with the writer\'s Secret', () => {
    expect(env('telegraf')).toEqual({
      INFLUXDB_URL: 'http://influxdb:8086', INFLUXDB_DB: 'telegraf', INFLUXDB_WRITE_USER: 'telegraf',
      INFLUXDB_WRITE_PASSWORD: { secretKeyRef: { name: 'influxdb-telegraf', key: 'password' } },
      HOST_IP: { fieldRef: { fieldPath: 'status.hostIP' } }, NODE_NAME: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(mounts('telegraf')['/etc/telegraf']).toMatchObject({ readOnly: true });
    expect(configMap('telegraf-config')['telegraf.conf']).toContain('[[outputs.influxdb]]');
  });

  test('K7 only telegraf gets a service-account token, bound to read kubelet stats cluster-wide and pods in the namespace', () => {
    const withToken = workloads(objects).filter((w) => w.spec.template.spec.automountServiceAccountToken !== false).map((w) => w.metadata.name);
    expect(withToken).toEqual(['telegraf']);
    expect(workload('telegraf').spec.template.spec.serviceAccountName).toBe('telegraf');
    const clusterRole = named(objects, 'ClusterRole', 'ft-services-telegraf');
    expect(clusterRole.metadata.namespace).toBeUndefined();
    expect(clusterRole.rules).toEqual([{ apiGroups: [''], resources: ['nodes/stats', 'nodes/pods'], verbs: ['get'] }]);
    expect(named(objects, 'ClusterRoleBinding', 'ft-services-telegraf').subjects).toEqual([{ kind: 'ServiceAccount', name: 'telegraf', namespace: 'ft-services' }]);
    expect(named(objects, 'RoleBinding', 'telegraf').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'telegraf' });
  });
});

describe('K3 tunable settings come from the typed configuration', () => {
  test('K3 users, names and titles a user may tune reach the containers from the stack config, not from the images', () => {
    const tuned = synth({
      wordpress: { title: 'My site', users: [
        { login: 'boss', role: 'administrator', email: 'boss@example.org' },
        { login: 'writer', role: 'author', email: 'writer@example.org' },
        { login: 'reader', role: 'subscriber', email: 'reader@example.org' },
      ] },
      ftps: { user: 'files' }, ssh: { user: 'operator' },
      mysql: { database: 'blog', user: 'blogger' },
      influxdb: { database: 'metrics', adminUser: 'root_', writeUser: 'writer', readUser: 'reader', retentionDays: 30 },
      grafana: { adminUser: 'grafadmin' },
    }).charts['ft-services'];
    const envOf = (name: string) => Object.fromEntries(containersOf(named(tuned, workloads(tuned).find((w) => w.metadata.name === name).kind, name))[0].env
      .map((e: Manifest) => [e.name, e.value ?? e.valueFrom]));
    expect(envOf('wordpress')).toMatchObject({ WORDPRESS_TITLE: 'My site', WORDPRESS_DB_NAME: 'blog', WORDPRESS_DB_USER: 'blogger',
      WORDPRESS_USERS: 'boss:administrator:boss@example.org writer:author:writer@example.org reader:subscriber:reader@example.org' });
    expect(envOf('mysql')).toMatchObject({ MYSQL_DATABASE: 'blog', MYSQL_USER: 'blogger', MYSQL_METRICS_USER: 'metrics' });
    expect(envOf('ftps')).toMatchObject({ FTPS_USER: 'files' });
    expect(envOf('nginx')).toMatchObject({ SSH_USER: 'operator' });
    expect(envOf('influxdb')).toEqual({ INFLUXDB_DB: 'metrics', INFLUXDB_ADMIN_USER: 'root_', INFLUXDB_WRITE_USER: 'writer', INFLUXDB_READ_USER: 'reader', INFLUXDB_RETENTION_DAYS: '30', INFLUXDB_LISTEN_PORT: '8086', METRICS_LISTEN: '9117', METRICS_CACHE_SECONDS: '5', RUN_TOGETHER_GRACE: '25' });
    expect(envOf('telegraf')).toMatchObject({ INFLUXDB_DB: 'metrics', INFLUXDB_WRITE_USER: 'writer' });
    expect(envOf('grafana')).toMatchObject({ GRAFANA_ADMIN_USER: 'grafadmin' });
    const datasource = named(tuned, 'ConfigMap', 'grafana-datasources').data['influxdb.yaml'];
    expect(datasource).toContain('dbName: metrics');
    expect(datasource).toContain('user: reader');
  });

  test('K3 S10 InfluxDB keeps 7 days of points unless the config says otherwise', () => {
    expect(env('influxdb').INFLUXDB_RETENTION_DAYS).toBe('7');
  });

  test('K3 K5 B15 per-service resources come from the stack config', () => {
    const tuned = synth({ resources: { mysql: { cpuRequestMillis: 200, memoryLimitMebibytes: 1024, ephemeralStorageRequestMebibytes: 40, ephemeralStorageLimitMebibytes: 300 } } }).charts['ft-services'];
    expect(containersOf(named(tuned, 'Deployment', 'mysql'))[0].resources).toEqual({
      requests: { cpu: '200m', memory: '256Mi', 'ephemeral-storage': '40Mi' }, limits: { cpu: '500m', memory: '1024Mi', 'ephemeral-storage': '300Mi' },
    });
  });
});

describe('B7 portability', () => {
  test('B7 an image registry prefix and per-service tags reach every image', () => {
    const moved = synth({ images: { registry: 'registry.example.com/ft/', tag: '1.2.3', tags: { mysql: 'abc123' } } }).charts['ft-services'];
    const images = Object.fromEntries(workloads(moved).map((w) => [w.metadata.name, containersOf(w)[0].image]));
    expect(images.nginx).toBe('registry.example.com/ft/nginx:1.2.3');
    expect(images.mysql).toBe('registry.example.com/ft/mysql:abc123');
  });

  test('B7 images from a registry are pulled when the node lacks them (IfNotPresent: tags are never latest)', () => {
    const pulled = synth({ images: { registry: 'registry.example.com/ft/' } }).charts['ft-services'];
    expect(workloads(pulled).map((w) => containersOf(w)[0].imagePullPolicy)).toEqual(workloads(pulled).map(() => 'IfNotPresent'));
  });

  test('B7 a storage class reaches every volume claim', () => {
    const claims = ofKind(synth({ storage: { storageClass: 'fast-ssd' } }).charts['ft-services'], 'PersistentVolumeClaim');
    expect(claims.length).toBeGreaterThanOrEqual(2);
    for (const claim of claims) expect(claim.spec.storageClassName).toBe('fast-ssd');
    for (const claim of ofKind(objects, 'PersistentVolumeClaim')) expect(claim.spec.storageClassName).toBeUndefined();
  });

  test('B7 with an external load balancer no MetalLB object is emitted and Services request the address directly', () => {
    const external = synth({ loadBalancer: { mode: 'external', address: '203.0.113.7' } });
    expect(Object.keys(external.charts).sort()).toEqual(['ft-services', 'ft-services-namespace']);
    for (const service of ofKind(external.charts['ft-services'], 'Service').filter((s) => s.spec.type === 'LoadBalancer')) {
      expect(service.spec.loadBalancerIP).toBe('203.0.113.7');
      expect(service.metadata.annotations).toBeUndefined();
      // Cloud load balancers often forward to NodePorts: Kubernetes' default (allocate) stays.
      expect(service.spec.allocateLoadBalancerNodePorts).toBeUndefined();
    }
  });

  test('B7 nginx and phpMyAdmin scale from the configuration', () => {
    const scaled = synth({ replicas: { nginx: 3, phpmyadmin: 2 } }).charts['ft-services'];
    expect(named(scaled, 'Deployment', 'nginx').spec.replicas).toBe(3);
    expect(named(scaled, 'Deployment', 'phpmyadmin').spec.replicas).toBe(2);
    expect(named(scaled, 'Deployment', 'nginx').spec.strategy.type).toBe('RollingUpdate');
  });
});

describe('B10 pods that serve their own metrics', () => {
  const fenced = [...servedMetrics().keys()];
  const policy = (name: string) => named(objects, 'NetworkPolicy', `${name}-metrics-from-telegraf`);
  /** Services whose own ports already admit only their declared clients (B8). */
  const clientFenced = (name: string) => objects.some((o) => o.kind === 'NetworkPolicy' && o.metadata.name === `${name}-allow-clients`);

  test.each(fenced)('B10 B15 %s pods are annotated for the telegraf of their node (inputs.prometheus, pod_scrape_scope node), serve-metrics listens on 9117 and reuses an answer 5 s', (name) => {
    expect(workload(name).spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9117', 'prometheus.io/path': '/cgi-bin/metrics' });
    expect(env(name).METRICS_LISTEN).toBe('9117');
    expect(env(name).METRICS_CACHE_SECONDS).toBe('5');
  });

  test.each(fenced)('S4 B10 no Service carries %s\'s metrics port, and only telegraf may open it', (name) => {
    for (const service of services) expect(service.spec.ports.map((port: Manifest) => port.targetPort)).not.toContain(9117);
    const [metrics, ...others] = policy(name).spec.ingress;
    expect(metrics).toEqual({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'telegraf', 'app.kubernetes.io/instance': 'ft-services' } } }], ports: [{ protocol: 'TCP', port: 9117 }] });
    for (const rule of others) expect(rule.ports.map((port: Manifest) => port.port)).not.toContain(9117);
  });

  test.each(fenced)('B8 B10 the metrics policy of %s opens its own ports to every source only where no client policy fences them', (name) => {
    const others = policy(name).spec.ingress.slice(1);
    if (clientFenced(name)) {
      expect(others).toEqual([]);
    } else {
      expect(others).toHaveLength(1);
      expect(others[0].from).toBeUndefined();
      expect(others[0].ports.map((port: Manifest) => port.port).sort()).toEqual(workload(name).spec.template.spec.containers[0].ports.map((port: Manifest) => port.containerPort).sort());
    }
  });

  test('B10 no other pod is scraped', () => {
    const annotated = workloads(objects).filter((w) => w.spec.template.metadata.annotations?.['prometheus.io/scrape'] === 'true').map((w) => w.metadata.name);
    expect(annotated.sort()).toEqual([...fenced].sort());
  });
});

describe('B15 least privilege', () => {
  test('B15 telegraf runs as its image\'s numeric non-root user, on a read-only root filesystem, with no capability', () => {
    const { user, group } = TELEGRAF_USER;
    expect(container('telegraf').securityContext).toEqual({
      runAsNonRoot: true, runAsUser: user, runAsGroup: group, readOnlyRootFilesystem: true, privileged: false,
      allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
    });
    expect(user).toBeGreaterThan(10000);
  });

  test.each(SERVICE_NAMES.filter((name) => name !== 'telegraf'))('B15 %s starts as root, its entrypoint dropping privileges, never privileged nor escalating', (name) => {
    expect(container(name).securityContext).toEqual({
      runAsNonRoot: false, readOnlyRootFilesystem: expect.any(Boolean), privileged: false, allowPrivilegeEscalation: false, capabilities: expect.anything(),
    });
  });

  test.each(stackServices().map((service) => [service.name, service] as const))('B15 %s\'s root filesystem is read-only, its writable folders each on an emptyDir of its own, or its module says why not', (name, service) => {
    const { rootFilesystem } = service;
    expect(container(name).securityContext.readOnlyRootFilesystem).toBe(rootFilesystem.readOnly);
    // Other emptyDirs (the handed-over Secrets' copies) are not the root filesystem's.
    const emptyDirs = workload(name).spec.template.spec.volumes.filter((volume: Manifest) => volume.emptyDir !== undefined && volume.name.startsWith(writableVolumeName('')))
      .map((volume: Manifest) => volume.name);
    const mounts = Object.fromEntries(container(name).volumeMounts.map((mount: Manifest) => [mount.name, mount.path ?? mount.mountPath]));
    if (rootFilesystem.readOnly) {
      const writable = Object.entries(rootFilesystem.writable);
      expect(emptyDirs.sort()).toEqual(writable.map(([key]) => writableVolumeName(key)).sort());
      for (const [key, folder] of writable) expect(mounts[writableVolumeName(key)]).toBe(folder.path);
    } else {
      expect(emptyDirs).toEqual([]);
      expect(rootFilesystem.because.length).toBeGreaterThan(20);
    }
  });

  test.each(stackServices().map((service) => [service.name, service] as const))('B15 %s drops every capability and adds back exactly those its module gives a reason for', (name, service) => {
    const add = capabilityList(service.capabilities);
    expect(container(name).securityContext.capabilities).toEqual({ drop: ['ALL'], ...(add.length > 0 ? { add } : {}) });
    for (const [capability, reason] of Object.entries(service.capabilities)) expect({ capability, reason: reason.length > 20 }).toEqual({ capability, reason: true });
  });

  // The Pod Security Standard "baseline" lets a container add these only (kubernetes.io, Pod Security
  // Standards, "Capabilities"); NET_RAW, one of the runtime's defaults, is kept by none.
  test('B4 B15 no container adds a capability beyond the baseline\'s, nor NET_RAW', () => {
    const baseline = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
    const added = SERVICE_NAMES.flatMap((name) => container(name).securityContext.capabilities.add ?? []);
    expect(added.filter((capability: string) => !baseline.includes(capability) || capability === 'NET_RAW')).toEqual([]);
  });
});

describe('B8 network policies', () => {
  // The client policy; a service with metrics also has its metrics policy, for telegraf on 9117.
  const policyFor = (name: string) => ofKind(objects, 'NetworkPolicy').find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === name && p.metadata.name === `${name}-allow-clients`);
  const clients = (name: string) => policyFor(name).spec.ingress.map((rule: Manifest) => rule.from[0].podSelector.matchLabels['app.kubernetes.io/name']).sort();

  test('B8 MySQL accepts connections from WordPress and phpMyAdmin only', () => {
    expect(policyFor('mysql').spec.policyTypes).toEqual(['Ingress']);
    expect(clients('mysql')).toEqual(['phpmyadmin', 'wordpress']);
    expect(policyFor('mysql').spec.ingress[0].ports).toEqual([{ port: 3306, protocol: 'TCP' }]);
  });

  test('B8 B15 a policy admits nothing to telegraf, whose port no pod needs', () => {
    const policies = ofKind(objects, 'NetworkPolicy').filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'telegraf'
      && p.spec.policyTypes.includes('Ingress'));
    expect(policies.map((p) => [p.spec.policyTypes, p.spec.ingress ?? []])).toEqual([[['Ingress'], []]]);
  });

  test('B8 InfluxDB accepts connections from Grafana and telegraf only', () => {
    expect(clients('influxdb')).toEqual(['grafana', 'telegraf']);
    expect(policyFor('influxdb').spec.ingress[0].ports).toEqual([{ port: 8086, protocol: 'TCP' }]);
  });
});

describe('K8 more than one replica, autoscaling, graceful stops', () => {
  const scaled = synth({ replicas: { nginx: 2, phpmyadmin: 2 } }).charts['ft-services'];
  const autoscaled = synth({
    autoscaling: { nginx: { enabled: true, minReplicas: 2, maxReplicas: 5, targetCpuUtilizationPercent: 60, scaleDownStabilizationSeconds: 30 } },
  }).charts['ft-services'];
  const podSpec = (manifests: Manifest[], name: string) => named(manifests, 'Deployment', name).spec.template.spec;

  test('K8 phpMyAdmin keeps a client on one pod, and so does nginx, whose pod is the client behind /phpmyadmin/', () => {
    expect(named(objects, 'Service', 'phpmyadmin').spec.sessionAffinity).toBe('ClientIP');
    expect(named(objects, 'Service', 'nginx').spec.sessionAffinity).toBe('ClientIP');
    // The services whose sessions live nowhere in a pod spread their clients freely.
    expect(services.filter((s) => s.spec.sessionAffinity !== undefined).map((s) => s.metadata.name).sort()).toEqual(['nginx', 'phpmyadmin']);
  });

  test('K8 a PodDisruptionBudget of one pod at a time, exactly for the services configured with more than one replica', () => {
    expect(ofKind(objects, 'PodDisruptionBudget')).toEqual([]);
    const budgets = ofKind(scaled, 'PodDisruptionBudget');
    expect(budgets.map((b) => b.metadata.name).sort()).toEqual(['nginx', 'phpmyadmin']);
    for (const budget of budgets) {
      expect(budget.spec).toEqual({ maxUnavailable: 1, selector: named(scaled, 'Deployment', budget.metadata.name).spec.selector });
    }
    expect(ofKind(synth({ replicas: { nginx: 2 } }).charts['ft-services'], 'PodDisruptionBudget').map((b) => b.metadata.name)).toEqual(['nginx']);
  });

  test('K8 more than one replica spreads over the nodes as a preference (a single node still runs them all); one replica is not spread', () => {
    expect(podSpec(scaled, 'phpmyadmin').topologySpreadConstraints).toEqual([{
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: named(scaled, 'Deployment', 'phpmyadmin').spec.selector,
    }]);
    expect(workloads(objects).filter((w) => w.spec.template.spec.topologySpreadConstraints !== undefined)).toEqual([]);
  });

  test('K8 an enabled autoscaler scales its Deployment on CPU within the configured range and scale-down window, and owns the replica count', () => {
    expect(ofKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    const [autoscaler, ...others] = ofKind(autoscaled, 'HorizontalPodAutoscaler');
    expect(others).toEqual([]);
    expect(autoscaler.apiVersion).toBe('autoscaling/v2');
    expect(autoscaler.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 30 } },
    });
    // A count in the Deployment would undo the autoscaler's at every apply.
    expect(named(autoscaled, 'Deployment', 'nginx').spec.replicas).toBeUndefined();
    expect(named(autoscaled, 'Deployment', 'phpmyadmin').spec.replicas).toBe(1);
    // Utilization is measured against the request: without one the autoscaler cannot compute it.
    expect(containersOf(named(autoscaled, 'Deployment', 'nginx'))[0].resources.requests.cpu).toBe('50m');
  });

  test('K8 an autoscaler that may run more than one replica brings the budget and the spreading', () => {
    expect(ofKind(autoscaled, 'PodDisruptionBudget').map((b) => b.metadata.name)).toEqual(['nginx']);
    expect(podSpec(autoscaled, 'nginx').topologySpreadConstraints).toHaveLength(1);
    const upToOne = synth({ autoscaling: { nginx: { enabled: true, minReplicas: 1, maxReplicas: 1 } } }).charts['ft-services'];
    expect(ofKind(upToOne, 'PodDisruptionBudget')).toEqual([]);
  });

  test('K8 a pod that hands its clients to another leaves the endpoints first: a preStop wait, then the stop signal, within a grace period that covers both', () => {
    const rolling = workloads(objects).filter((w) => w.kind === 'Deployment' && w.spec.strategy.type === 'RollingUpdate');
    expect(rolling.map((w) => w.metadata.name).sort()).toEqual(['nginx', 'phpmyadmin']);
    for (const w of rolling) {
      const spec = w.spec.template.spec;
      expect(spec.containers[0].lifecycle).toEqual({ preStop: { exec: { command: ['sleep', String(ENDPOINT_DRAIN_SECONDS)] } } });
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(ENDPOINT_DRAIN_SECONDS + Number(env(w.metadata.name).RUN_TOGETHER_GRACE));
    }
  });

  test('K8 a service stopped before its replacement starts (Recreate) stops its servers at once, and the kubelet waits for their flush', () => {
    const recreated = workloads(objects).filter((w) => w.kind === 'Deployment' && w.spec.strategy.type === 'Recreate');
    expect(recreated.map((w) => w.metadata.name).sort()).toEqual(['ftps', 'grafana', 'influxdb', 'mysql', 'wordpress']);
    for (const w of recreated) {
      expect(w.spec.template.spec.containers[0].lifecycle).toBeUndefined();
      expect(w.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(env(w.metadata.name).RUN_TOGETHER_GRACE));
    }
    // The databases get longer to flush than the default.
    expect(Number(env('mysql').RUN_TOGETHER_GRACE)).toBeGreaterThan(Number(env('nginx').RUN_TOGETHER_GRACE));
    expect(Number(env('influxdb').RUN_TOGETHER_GRACE)).toBeGreaterThan(Number(env('nginx').RUN_TOGETHER_GRACE));
  });

  test('K8 run-together hears its grace from the chart in every image that runs it, and telegraf, which has none, is not told', () => {
    const told = workloads(objects).filter((w) => env(w.metadata.name).RUN_TOGETHER_GRACE !== undefined).map((w) => w.metadata.name).sort();
    expect(told).toEqual([...SERVICE_NAMES].filter((name) => name !== 'telegraf').sort());
  });
});

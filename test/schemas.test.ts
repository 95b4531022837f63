/**
 * B4: every synthesized object validates against the Kubernetes 1.27 and 1.35 schemas (strictly: an
 * unknown field fails, as with kubeconform -strict) and MetalLB's CRD schemas, and every pod meets
 * the Pod Security Standard "baseline".
 */
import { ValidateFunction } from 'ajv';
import { gvkKey, KUBERNETES_VERSIONS, kubernetesValidators, metallbValidators } from './support/k8s-schemas';
import { containersOf, Manifest, synth, workloads } from './support/manifests';

// Every shape the chart can take: the defaults, every option of B7, a scaled stack and an autoscaled one (K8).
const variants = {
  defaults: synth(),
  external: synth({ loadBalancer: { mode: 'external', address: '203.0.113.7' } }),
  portable: synth({ images: { registry: 'registry.example.com/ft/' }, storage: { storageClass: 'standard' }, replicas: { nginx: 2, phpmyadmin: 2 } }),
  autoscaled: synth({ autoscaling: { nginx: { enabled: true }, phpmyadmin: { enabled: true } } }),
};
const objects = Object.entries(variants).flatMap(([variant, s]) => s.all.map((o) => ({ variant, o })));
const label = (variant: string, o: Manifest) => `${variant} ${o.kind}/${o.metadata.name}`;

function errorsOf(validate: ValidateFunction | undefined, o: Manifest): string {
  if (validate === undefined) return `no schema for ${o.apiVersion} ${o.kind}`;
  return validate(o) ? '' : JSON.stringify(validate.errors, null, 1);
}

describe('B4 schemas', () => {
  test.each(KUBERNETES_VERSIONS)('B4 every Kubernetes object validates strictly against the %s schema', (version) => {
    const validators = kubernetesValidators(version);
    const builtIn = objects.filter(({ o }) => !o.apiVersion.startsWith('metallb.io/'));
    expect(builtIn.length).toBeGreaterThan(20);
    const failures = builtIn.map(({ variant, o }) => [label(variant, o), errorsOf(validators.get(gvkKey(o.apiVersion, o.kind)), o)]).filter(([, errors]) => errors !== '');
    expect(failures).toEqual([]);
  });

  test('B4 the strict validation rejects an unknown field, so a typo cannot pass', () => {
    const validate = kubernetesValidators('v1.27.0').get('v1/Service')!;
    const service = variants.defaults.all.find((o) => o.kind === 'Service');
    expect(validate(service)).toBe(true);
    expect(validate({ ...service, spec: { ...service.spec, loadBalancerIp: '1.2.3.4' } })).toBe(false);
  });

  test('B4 the MetalLB pool and advertisement validate against the v0.16.1 CRDs', () => {
    const validators = metallbValidators();
    const metallb = objects.filter(({ o }) => o.apiVersion.startsWith('metallb.io/'));
    const withMetallb = Object.values(variants).filter((s) => s.config.loadBalancer.mode === 'metallb').length;
    expect(withMetallb).toBeGreaterThan(1);
    expect(metallb.map(({ o }) => o.kind).sort()).toEqual([...Array(withMetallb).fill('IPAddressPool'), ...Array(withMetallb).fill('L2Advertisement')]);
    const failures = metallb.map(({ variant, o }) => [label(variant, o), errorsOf(validators.get(gvkKey(o.apiVersion, o.kind)), o)]).filter(([, errors]) => errors !== '');
    expect(failures).toEqual([]);
  });
});

/** The Pod Security Standard "baseline" controls (kubernetes.io/docs/concepts/security/pod-security-standards). */
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);

/** Every baseline violation of one pod template, as readable sentences. */
function baselineViolations(template: Manifest): string[] {
  const spec = template.spec;
  const violations: string[] = [];
  const security = spec.securityContext ?? {};
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[field] === true) violations.push(`${field} is true`);
  for (const volume of spec.volumes ?? []) if (volume.hostPath) violations.push(`volume ${volume.name} is a hostPath`);
  for (const sysctl of security.sysctls ?? []) if (!SAFE_SYSCTLS.has(sysctl.name)) violations.push(`sysctl ${sysctl.name} is not safe`);
  const contexts = [{ who: 'pod', context: security }];
  for (const container of containersOf({ spec: { template } })) {
    const context = container.securityContext ?? {};
    contexts.push({ who: `container ${container.name}`, context });
    if (context.privileged === true) violations.push(`container ${container.name} is privileged`);
    for (const capability of context.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(capability)) violations.push(`container ${container.name} adds capability ${capability}`);
    }
    for (const port of container.ports ?? []) if (port.hostPort) violations.push(`container ${container.name} uses hostPort ${port.hostPort}`);
    if (context.procMount !== undefined && context.procMount !== 'Default') violations.push(`container ${container.name} procMount ${context.procMount}`);
    if (context.windowsOptions?.hostProcess === true) violations.push(`container ${container.name} is a Windows host process`);
  }
  for (const { who, context } of contexts) {
    if (context.seccompProfile?.type === 'Unconfined') violations.push(`${who} seccomp is Unconfined`);
    if (context.appArmorProfile?.type === 'Unconfined') violations.push(`${who} AppArmor is Unconfined`);
    const selinux = context.seLinuxOptions;
    if (selinux?.user !== undefined || selinux?.role !== undefined) violations.push(`${who} sets an SELinux user or role`);
    if (selinux?.type !== undefined && !['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'].includes(selinux.type)) {
      violations.push(`${who} SELinux type ${selinux.type}`);
    }
  }
  for (const [key, value] of Object.entries<string>(template.metadata?.annotations ?? {})) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value === 'unconfined') violations.push(`annotation ${key} is unconfined`);
  }
  return violations;
}

describe('B4 Pod Security Standard baseline', () => {
  test('B4 the namespace enforces baseline', () => {
    const [namespace] = variants.defaults.charts['ft-services-namespace'];
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'baseline' });
  });

  test.each(Object.keys(variants))('B4 every pod of the %s stack meets baseline', (variant) => {
    const pods = workloads(variants[variant as keyof typeof variants].all);
    expect(pods.length).toBeGreaterThanOrEqual(6);
    expect(pods.map((w) => [w.metadata.name, baselineViolations(w.spec.template)])).toEqual(pods.map((w) => [w.metadata.name, []]));
  });

  test('B4 the baseline check finds each kind of violation (so a clean result means something)', () => {
    const bad = {
      metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/x': 'unconfined' } },
      spec: {
        hostNetwork: true, hostPID: true,
        securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }], seccompProfile: { type: 'Unconfined' } },
        volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }],
        containers: [{ name: 'x', ports: [{ containerPort: 80, hostPort: 80 }], securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN'] }, seLinuxOptions: { type: 'spc_t' } } }],
      },
    };
    expect(baselineViolations(bad)).toEqual([
      'hostNetwork is true', 'hostPID is true', 'volume docker is a hostPath', 'sysctl kernel.msgmax is not safe',
      'container x is privileged', 'container x adds capability NET_ADMIN', 'container x uses hostPort 80',
      'pod seccomp is Unconfined', 'container x SELinux type spc_t',
      'annotation container.apparmor.security.beta.kubernetes.io/x is unconfined',
    ]);
  });
});

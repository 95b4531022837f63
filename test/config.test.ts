import { DEFAULT_CONFIG, resolveStackConfig, StackConfigError, StackConfigOverrides } from '../lib/config';
import { errorMessage } from './support/errors';

const users = DEFAULT_CONFIG.wordpress.users;

describe('B1 the stack configuration', () => {
  test('B1 the defaults are valid and work on minikube (MetalLB, one address, the subject ports)', () => {
    const config = resolveStackConfig();
    expect(config.loadBalancer).toEqual({ mode: 'metallb', address: '192.168.49.240' });
    expect(config.ports).toEqual({ http: 80, https: 443, ssh: 22, wordpress: 5050, phpmyadmin: 5000, ftps: 21, grafana: 3000 });
  });

  test('S4 the default FTPS passive range lies outside the NodePort range 30000-32767', () => {
    // kube-apiserver's default --service-node-port-range is 30000-32767 (Kubernetes docs,
    // "Service" > "type: NodePort"); minikube does not change it.
    const { min, max } = resolveStackConfig().ftps.passivePorts;
    expect({ min, max }).toEqual({ min: 21100, max: 21104 });
    expect(max < 30000 || min > 32767).toBe(true);
  });

  test('B1 overrides merge field by field over the defaults, in order', () => {
    const config = resolveStackConfig({ ports: { grafana: 3001 } }, { ports: { grafana: 3002 }, images: { tags: { nginx: 'abc' } } });
    expect(config.ports.grafana).toBe(3002);
    expect(config.ports.wordpress).toBe(5050);
    expect(config.images).toEqual({ registry: '', tag: '0.1.0', tags: { nginx: 'abc' } });
  });

  test('B1 a list in an override replaces the default list', () => {
    const mine = [users[0], { login: 'bob', role: 'subscriber', email: 'bob@example.org' }, { login: 'eve', role: 'contributor', email: 'eve@example.org' }] as const;
    expect(resolveStackConfig({ wordpress: { users: mine } }).wordpress.users).toEqual(mine);
  });

  test('B1 a failure is a StackConfigError carrying the field, the value and what is allowed', () => {
    let error: unknown;
    try {
      resolveStackConfig({ ports: { wordpress: 0 } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StackConfigError);
    expect(error).toMatchObject({ field: 'ports.wordpress', value: 0, allowed: 'an integer from 1 to 65535' });
  });

  const failures: ReadonlyArray<[string, StackConfigOverrides, string]> = [
    ['an unknown field (a typo must not pass silently)', { ports: { wordpres: 5050 } } as StackConfigOverrides,
      'stack config: ports.wordpres is 5050; allowed: one of the known fields: http, https, ssh, wordpress, phpmyadmin, ftps, grafana (did you mean "wordpress"?)'],
    ['a namespace that is not a DNS label', { namespace: 'FT_services' },
      'stack config: namespace is "FT_services"; allowed: a DNS-1123 label (lower-case letters, digits and "-", at most 63)'],
    ['an unknown load-balancer mode', { loadBalancer: { mode: 'nodeport' as 'metallb' } },
      'stack config: loadBalancer.mode is "nodeport"; allowed: "metallb" or "external"'],
    ['a bad IP address', { loadBalancer: { address: '192.168.49.300' } },
      'stack config: loadBalancer.address is "192.168.49.300"; allowed: an IPv4 address such as 192.168.49.240'],
    ['a port out of range', { ports: { wordpress: 70000 } },
      'stack config: ports.wordpress is 70000; allowed: an integer from 1 to 65535'],
    ['a port that is not an integer', { ports: { grafana: 3000.5 } },
      'stack config: ports.grafana is 3000.5; allowed: an integer from 1 to 65535'],
    ['two services on one port', { ports: { grafana: 5050 } },
      'stack config: ports.grafana is 5050; allowed: a port no other service uses (ports.wordpress has it already)'],
    ['a passive port another service uses', { ftps: { passivePorts: { min: 2990, max: 3000 } } },
      'stack config: ftps.passivePorts is 3000; allowed: a port no other service uses (ports.grafana has it already)'],
    ['a passive range upside down', { ftps: { passivePorts: { min: 21110, max: 21100 } } },
      'stack config: ftps.passivePorts.max is 21100; allowed: a port not below ftps.passivePorts.min (21110)'],
    ['a passive range too wide for Service ports', { ftps: { passivePorts: { min: 21100, max: 21199 } } },
      'stack config: ftps.passivePorts is {"min":21100,"max":21199}; allowed: a range of at most 20 ports (each one is a Service port)'],
    ['S4 a passive range reaching into the NodePort range', { ftps: { passivePorts: { min: 29998, max: 30002 } } },
      'stack config: ftps.passivePorts is {"min":29998,"max":30002}; allowed: a range outside the NodePort range 30000-32767 (S4: no second way in), e.g. 21100-21104'],
    ['a passive port out of range', { ftps: { passivePorts: { min: 0, max: 3 } } },
      'stack config: ftps.passivePorts.min is 0; allowed: an integer from 1 to 65535'],
    ['an FTPS user name that is not a POSIX name', { ftps: { user: 'Ftp User' } },
      'stack config: ftps.user is "Ftp User"; allowed: a POSIX user name (lower-case letter or "_", then letters, digits, "_" or "-", at most 32)'],
    ['root as the SSH user', { ssh: { user: 'root' } },
      'stack config: ssh.user is "root"; allowed: a POSIX user name not the name of an account or group the Alpine images already have (root, daemon, ftp, sshd, nobody, nginx, users, www-data, wheel…)'],
    ['an SSH user named like a group of the image (busybox adduser fails)', { ssh: { user: 'users' } },
      'stack config: ssh.user is "users"; allowed: a POSIX user name not the name of an account or group the Alpine images already have (root, daemon, ftp, sshd, nobody, nginx, users, www-data, wheel…)'],
    ['an FTPS user named like a system account (its password would go on that account)', { ftps: { user: 'ftp' } },
      'stack config: ftps.user is "ftp"; allowed: a POSIX user name not the name of an account or group the Alpine images already have (root, daemon, ftp, sshd, nobody, nginx, users, www-data, wheel…)'],
    ['a registry prefix without its final slash', { images: { registry: 'registry.example.com/ft' } },
      'stack config: images.registry is "registry.example.com/ft"; allowed: empty, or a registry path ending in "/" (e.g. "registry.example.com/ft/")'],
    ['the latest tag', { images: { tag: 'latest' } },
      'stack config: images.tag is "latest"; allowed: a Docker tag (letters, digits, "_", "." or "-", at most 128) other than "latest"'],
    ['a bad per-service tag', { images: { tags: { mysql: 'a b' } } },
      'stack config: images.tags.mysql is "a b"; allowed: a Docker tag (letters, digits, "_", "." or "-", at most 128) other than "latest"'],
    ['a tag for a service the stack does not have', { images: { tags: { redis: 'x' } as Record<string, string> } },
      'stack config: images.tags.redis is "x"; allowed: a tag for one of nginx, wordpress, mysql, phpmyadmin, ftps, grafana, influxdb, telegraf'],
    ['a bad StorageClass name', { storage: { storageClass: 'Fast SSD' } },
      'stack config: storage.storageClass is "Fast SSD"; allowed: a StorageClass name (DNS subdomain)'],
    ['a volume size that is not whole Mi or Gi', { storage: { sizes: { mysql: '1.5G' } } },
      'stack config: storage.sizes.mysql is "1.5G"; allowed: a whole number of Mi or Gi, such as 512Mi or 1Gi'],
    ['zero replicas', { replicas: { nginx: 0 } },
      'stack config: replicas.nginx is 0; allowed: an integer from 1 to 10'],
    ['replicas for a service that owns a volume', { replicas: { mysql: 2 } as Record<string, number> },
      'stack config: replicas.mysql is 2; allowed: one of the known fields: nginx, phpmyadmin'],
    ['K8 autoscaling switched on with a word', { autoscaling: { nginx: { enabled: 'yes' as unknown as boolean } } },
      'stack config: autoscaling.nginx.enabled is "yes"; allowed: true or false'],
    ['K8 an autoscaler with no replica at least', { autoscaling: { phpmyadmin: { enabled: true, minReplicas: 0 } } },
      'stack config: autoscaling.phpmyadmin.minReplicas is 0; allowed: an integer from 1 to 10'],
    ['K8 an autoscaler whose maximum is below its minimum', { autoscaling: { nginx: { enabled: true, minReplicas: 3, maxReplicas: 2 } } },
      'stack config: autoscaling.nginx.maxReplicas is 2; allowed: an integer from minReplicas (3) to 10'],
    ['K8 a CPU target the CPU limit never lets the pods reach', { autoscaling: { nginx: { enabled: true, targetCpuUtilizationPercent: 700 } } },
      'stack config: autoscaling.nginx.targetCpuUtilizationPercent is 700; allowed: an integer percent of the CPU request from 1 to 600 (resources.nginx: the CPU limit is 300m, the request 50m)'],
    ['K8 a scale-down window longer than the API server accepts', { autoscaling: { nginx: { scaleDownStabilizationSeconds: 3601 } } },
      'stack config: autoscaling.nginx.scaleDownStabilizationSeconds is 3601; allowed: a whole number of seconds from 0 to 3600'],
    ['K8 autoscaling for a service that owns a volume', { autoscaling: { mysql: { enabled: true } } as Record<string, unknown> },
      'stack config: autoscaling.mysql is {"enabled":true}; allowed: one of the known fields: nginx, phpmyadmin'],
    ['an empty site title', { wordpress: { title: ' ' } },
      'stack config: wordpress.title is " "; allowed: a non-empty site title'],
    ['an empty user list', { wordpress: { users: [] } },
      'stack config: wordpress.users is []; allowed: a non-empty list of users'],
    ['a login with upper-case letters', { wordpress: { users: [{ ...users[0], login: 'Admin' }, users[1], users[2]] } },
      'stack config: wordpress.users[0].login is "Admin"; allowed: lower-case letters, digits, "_", ".", "@" or "-", at most 60'],
    ['two users with one login', { wordpress: { users: [users[0], users[1], { ...users[2], login: 'editor' }] } },
      'stack config: wordpress.users[2].login is "editor"; allowed: a login no other user has'],
    ['an unknown role', { wordpress: { users: [users[0], users[1], { ...users[2], role: 'owner' as 'author' }] } },
      'stack config: wordpress.users[2].role is "owner"; allowed: one of administrator, editor, author, contributor, subscriber'],
    ['a bad e-mail address', { wordpress: { users: [users[0], users[1], { ...users[2], email: 'author' }] } },
      'stack config: wordpress.users[2].email is "author"; allowed: an e-mail address'],
    ['a first user who is not the administrator', { wordpress: { users: [users[1], users[0], users[2]] } },
      'stack config: wordpress.users[0].role is "editor"; allowed: "administrator": the first user installs the site'],
    ['fewer than two other roles (subject S5)', { wordpress: { users: [users[0], users[1], { ...users[2], role: 'editor' }] } },
      'stack config: wordpress.users is ["admin:administrator","editor:editor","author:editor"]; allowed: an administrator and at least two other users with different non-administrator roles (subject S5)'],
    ['a database name with a dash', { mysql: { database: 'word-press' } },
      'stack config: mysql.database is "word-press"; allowed: a name of lower-case letters, digits and "_", starting with a letter or "_", at most 32'],
    ['an InfluxDB retention of no days', { influxdb: { retentionDays: 0 } },
      'stack config: influxdb.retentionDays is 0; allowed: a whole number of days from 1 to 3650'],
    ['an InfluxDB retention in part days', { influxdb: { retentionDays: 1.5 } },
      'stack config: influxdb.retentionDays is 1.5; allowed: a whole number of days from 1 to 3650'],
    ['root as the WordPress database user', { mysql: { user: 'root' } },
      'stack config: mysql.user is "root"; allowed: a user other than root and metrics (both stay local to the database)'],
    ['the monitoring account as the WordPress database user (B10)', { mysql: { user: 'metrics' } },
      'stack config: mysql.user is "metrics"; allowed: a user other than root and metrics (both stay local to the database)'],
    ['a resource that is not a positive integer', { resources: { mysql: { cpuRequestMillis: 0 } } },
      'stack config: resources.mysql.cpuRequestMillis is 0; allowed: a positive integer'],
    ['a CPU limit below the request', { resources: { grafana: { cpuRequestMillis: 600, cpuLimitMillis: 500 } } },
      'stack config: resources.grafana.cpuLimitMillis is 500; allowed: at least cpuRequestMillis (600)'],
    ['a memory limit below the request', { resources: { influxdb: { memoryLimitMebibytes: 64 } } },
      'stack config: resources.influxdb.memoryLimitMebibytes is 64; allowed: at least memoryRequestMebibytes (128)'],
    ['an ephemeral-storage limit below the request (B15)', { resources: { ftps: { ephemeralStorageRequestMebibytes: 128 } } },
      'stack config: resources.ftps.ephemeralStorageLimitMebibytes is 64; allowed: at least ephemeralStorageRequestMebibytes (128)'],
    ['an ephemeral-storage request in part MiB (B15)', { resources: { nginx: { ephemeralStorageRequestMebibytes: 0.5 } } },
      'stack config: resources.nginx.ephemeralStorageRequestMebibytes is 0.5; allowed: a positive integer'],
  ];

  test.each(failures)('B1 fails on %s, naming the field, the value and what is allowed', (_, overrides, message) => {
    expect(() => resolveStackConfig(overrides)).toThrow(StackConfigError);
    expect(errorMessage(() => resolveStackConfig(overrides))).toBe(message);
  });
});

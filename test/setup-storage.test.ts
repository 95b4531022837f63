/**
 * Storage settings a deployed stack cannot take (S10, B13): what the API server refuses for a bound
 * claim (lib/setup/storage.ts names the sources) is refused by `validate` and `up` before anything
 * is applied; what the cluster can do goes through.
 */
import { resolveStackConfig, StackConfigOverrides, STATEFUL_SERVICES } from '../lib/config';
import { LiveClaims, readLiveClaims, storageSettings, storageVerdict } from '../lib/setup/storage';
import { scriptedKubectl } from './support/fake-cluster';

const settings = (storage: StackConfigOverrides['storage'] = {}) => storageSettings(resolveStackConfig({ storage }));
const deployed = settings();
/** minikube's claims: every one bound to the default class "standard", which cannot expand. */
const minikube = (expandable: string[] = [], classes = Object.fromEntries(STATEFUL_SERVICES.map((s) => [s, 'standard']))): LiveClaims =>
  ({ classes, expandable: new Set(expandable) });

test('B13 the same settings are no change, with or without the cluster', () => {
  expect(storageVerdict(deployed, settings())).toEqual({ refused: [], unknown: [] });
  expect(storageVerdict(deployed, settings(), minikube())).toEqual({ refused: [], unknown: [] });
});

test('S10 B13 a smaller volume is refused without asking the cluster, naming the field, both sizes, and what delete costs', () => {
  const { refused } = storageVerdict(deployed, settings({ sizes: { mysql: '512Mi' } }));
  expect(refused).toEqual(['storage.sizes.mysql is "512Mi"; the stack was deployed with "1Gi", and Kubernetes never makes a bound claim smaller '
    + '(field can not be less than status.capacity). Set it back to "1Gi" or more, or run ./setup.sh delete first, which deletes the namespace '
    + 'with every volume and everything on it: wordpress-data (the WordPress uploads), mysql-data (the WordPress database), ftps-data (the FTP user\'s files), '
    + 'grafana-data (Grafana\'s own database), influxdb-data (the collected metrics); then ./setup.sh up']);
});

test('S10 B13 a larger volume: validate says up will ask the class; up refuses it on a class that cannot expand', () => {
  const grown = settings({ sizes: { influxdb: '2Gi' } });
  expect(storageVerdict(deployed, grown)).toEqual({ refused: [],
    unknown: ['storage.sizes.influxdb is "2Gi"; the stack was deployed with "1Gi": ./setup.sh up grows influxdb-data only if its StorageClass allows volume expansion'] });
  const { refused } = storageVerdict(deployed, grown, minikube());
  expect(refused).toHaveLength(1);
  expect(refused[0]).toContain('storage.sizes.influxdb is "2Gi"; the stack was deployed with "1Gi", and influxdb-data cannot grow: '
    + 'its StorageClass "standard" does not allow volume expansion (allowVolumeExpansion is not true), so the API server refuses to resize it. Set it back to "1Gi"');
  expect(refused[0]).toContain('./setup.sh delete first, which deletes the namespace with every volume');
});

test('S10 B13 a larger volume on a class that allows expansion goes through; so does any change to a claim the cluster no longer holds', () => {
  expect(storageVerdict(deployed, settings({ sizes: { influxdb: '2Gi' } }), minikube(['standard']))).toEqual({ refused: [], unknown: [] });
  expect(storageVerdict(deployed, settings({ sizes: { mysql: '512Mi' }, storageClass: 'fast' }), minikube([], {}))).toEqual({ refused: [], unknown: [] });
});

test('S10 B13 another class is refused, once, naming every volume delete would cost', () => {
  const { refused } = storageVerdict(settings({ storageClass: 'standard' }), settings({ storageClass: 'fast' }));
  expect(refused).toHaveLength(1);
  expect(refused[0]).toMatch(/^storage\.storageClass is "fast"; the stack was deployed with "standard", and a bound claim never changes its class \(spec is immutable after creation\)\. Set it back to "standard", or run \.\/setup\.sh delete first, which deletes the namespace with every volume and everything on it: wordpress-data \(the WordPress uploads\), mysql-data/);
  // Leaving the class out would remove it from the claims setup made with it: a change too.
  expect(storageVerdict(settings({ storageClass: 'standard' }), settings()).refused[0]).toMatch(/^storage\.storageClass is the cluster's default class; the stack was deployed with "standard".* Set it back to "standard"/);
});

test('S10 B13 naming the class the default gave the claims changes nothing; naming another is refused with the class they have', () => {
  const named = settings({ storageClass: 'standard' });
  expect(storageVerdict(deployed, named).unknown).toEqual(['storage.storageClass is "standard"; the stack was deployed with the cluster\'s default class: ./setup.sh up goes on only if that default is "standard", the class the claims have']);
  expect(storageVerdict(deployed, named, minikube())).toEqual({ refused: [], unknown: [] });
  const [other] = storageVerdict(deployed, settings({ storageClass: 'fast' }), minikube()).refused;
  expect(other).toMatch(/^storage\.storageClass is "fast"; the stack was deployed with the cluster's default class \(the claims have "standard"\)/);
  expect(other).toContain('Leave it out, or run ./setup.sh delete first');
});

test('S10 up reads each claim\'s class and the classes that can expand from the cluster', async () => {
  const { kubectl, calls } = scriptedKubectl([
    [/^-n ft-services get persistentvolumeclaims -o json$/, JSON.stringify({ items: [
      { metadata: { name: 'mysql-data' }, spec: { storageClassName: 'standard' }, status: { phase: 'Bound' } },
      { metadata: { name: 'ftps-data' }, spec: {}, status: { phase: 'Bound' } },
      { metadata: { name: 'someone-elses' }, spec: { storageClassName: 'fast' } },
    ] })],
    [/^get storageclasses -o json$/, JSON.stringify({ items: [
      { metadata: { name: 'standard' }, provisioner: 'k8s.io/minikube-hostpath' },
      { metadata: { name: 'fast' }, provisioner: 'ebs.csi.aws.com', allowVolumeExpansion: true },
    ] })],
  ]);
  const live = await readLiveClaims(kubectl, 'ft-services');
  expect(live.classes).toEqual({ mysql: 'standard', ftps: '' });
  expect([...live.expandable]).toEqual(['fast']);
  expect(calls).toHaveLength(2);
  // A claim without a class can never grow.
  expect(storageVerdict(deployed, settings({ sizes: { ftps: '2Gi' } }), live).refused[0]).toContain('ftps-data cannot grow: it has no StorageClass');
});

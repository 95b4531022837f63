/**
 * The environment Kubernetes gives our containers (S8, S10): no service-link variable, and no
 * variable an image reads that Kubernetes could ever set. On a real cluster the ftps pod got
 * FTPS_PORT=tcp://10.96.225.214:21 from the Service `ftps`, and its entrypoint, which took
 * FTPS_PORT for its control port, exited: FTPS never started.
 */
import * as fs from 'fs';
import * as path from 'path';
import { filesUnder } from '../lib/files';
import { Manifest, ofKind, synth, workloads } from './support/manifests';
import { API_SERVER_SERVICE, expandReferences, podEnvironment, serviceLinkNames, serviceLinkVariables } from './support/pod-environment';

const SRCS = path.resolve(__dirname, '..', 'srcs');
const { all } = synth();

/** What the kubelet reads from the API besides the manifests (telegraf's password and node). */
const sources = { secret: () => 'from-a-secret', fields: { 'spec.nodeName': 'node-1', 'status.hostIP': '192.0.2.10' } };

/** `manifests` as they were before every pod turned service links off. */
function withServiceLinks(manifests: readonly Manifest[]): Manifest[] {
  return manifests.map((m) => {
    if (m.kind !== 'Deployment' && m.kind !== 'DaemonSet') return m;
    const copy = structuredClone(m);
    delete copy.spec.template.spec.enableServiceLinks;
    return copy;
  });
}

test('S8 the kubelet stand-in names and values the variables as the real ftps pod got them', () => {
  const ftps = ofKind(all, 'Service').find((s) => s.metadata.name === 'ftps');
  const variables = serviceLinkVariables(ftps, '10.96.225.214');
  expect(variables).toMatchObject({
    FTPS_SERVICE_HOST: '10.96.225.214',
    FTPS_SERVICE_PORT: '21',
    FTPS_SERVICE_PORT_FTP: '21',
    FTPS_PORT: 'tcp://10.96.225.214:21',
    FTPS_PORT_21_TCP: 'tcp://10.96.225.214:21',
    FTPS_PORT_21_TCP_PROTO: 'tcp',
    FTPS_PORT_21_TCP_PORT: '21',
    FTPS_PORT_21_TCP_ADDR: '10.96.225.214',
  });
  // A port named pasv-21100 → FTPS_SERVICE_PORT_PASV_21100.
  expect(variables).toHaveProperty('FTPS_SERVICE_PORT_PASV_21100', '21100');
  // Before service links were turned off, every pod got them: the crash the cluster showed, with
  // as many injected variables as the real ftps pod of the default configuration had (99).
  const linked = podEnvironment(withServiceLinks(all), 'ftps', sources);
  expect(linked).toMatchObject({ FTPS_PORT: expect.stringMatching(/^tcp:\/\//), MYSQL_PORT: expect.stringMatching(/^tcp:\/\//) });
  const own = workloads(all).find((w) => w.metadata.name === 'ftps').spec.template.spec.containers[0].env.map((e: Manifest) => e.name);
  expect(Object.keys(linked).filter((name) => !own.includes(name))).toHaveLength(99);
});

test('S8 the stand-in expands $(NAME) in values as the kubelet does (expand.go)', () => {
  const known: Record<string, string> = { A: 'a' };
  const lookup = (name: string) => known[name];
  expect(['$(A)', 'x$(A)y', '$$(A)', '$(B)', '$(', '$A', 'cost $', '$$$(A)'].map((value) => expandReferences(value, lookup)))
    .toEqual(['a', 'xay', '$(A)', '$(B)', '$(', '$A', 'cost $', '$a']);
});

test.each(workloads(all).map((w) => [w.metadata.name]))('S8 %s turns service links off: its container gets its own variables and the API server\'s only', (name) => {
  const workload = workloads(all).find((w) => w.metadata.name === name);
  expect(workload.spec.template.spec.enableServiceLinks).toBe(false);
  const own = (workload.spec.template.spec.containers[0].env ?? []).map((e: Manifest) => e.name);
  const injected = Object.keys(podEnvironment(all, name, sources)).filter((variable) => !own.includes(variable));
  expect(injected.sort()).toEqual(Object.keys(serviceLinkVariables(API_SERVER_SERVICE, API_SERVER_SERVICE.spec.clusterIP)).sort());
});

test('S8 S10 no file of an image and no setting the chart makes names a service-link variable of a Service of the stack', () => {
  // Whatever reads its settings from the environment: our entrypoints, scripts, templates and PHP
  // (srcs/, its README excepted: it is in no image), the configs the chart generates (telegraf's
  // `${NAME}`) and the variables the chart sets.
  const texts = [
    ...filesUnder(SRCS).filter((file) => !file.endsWith('.md')).map((file) => ({ where: `srcs/${file}`, text: fs.readFileSync(path.join(SRCS, file), 'utf8') })),
    ...ofKind(all, 'ConfigMap').map((map) => ({ where: `ConfigMap ${map.metadata.name}`, text: JSON.stringify(map.data ?? {}) })),
    ...workloads(all).map((w) => ({ where: `${w.metadata.name}'s env`, text: JSON.stringify(w.spec.template.spec.containers.map((c: Manifest) => c.env ?? [])) })),
  ];
  // Even with links off a cluster may add them again (a mutating webhook, a PodPreset-like
  // admission, a hand-edited Deployment): a name that cannot collide is the second guard.
  const names = serviceLinkNames(all);
  expect(names).toEqual(expect.arrayContaining(['FTPS_PORT', 'MYSQL_PORT', 'INFLUXDB_SERVICE_HOST']));
  const collisions = texts.flatMap(({ where, text }) => names.filter((name) => new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`).test(text)).map((name) => `${where}: ${name}`));
  expect(collisions).toEqual([]);
});

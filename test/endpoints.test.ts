/**
 * The one model of where services are reached (lib/endpoints.ts): built once, and what the chart,
 * the summary and the checks each use of it.
 */
import { DAEMONSET_SERVICES, resolveStackConfig, SERVICE_NAMES } from '../lib/config';
import { publicEndpoints } from '../lib/endpoints';
import { summary } from '../lib/setup/report';
import { containersOf, Manifest, named, ofKind, synth, workloads } from './support/manifests';
import { stackServices } from './support/model';

const envOf = (objects: Manifest[], kind: string, name: string) =>
  Object.fromEntries(containersOf(named(objects, kind, name))[0].env.map((e: Manifest) => [e.name, e.value]));

describe('S5 S7 public URLs', () => {
  test('S7 a URL leaves out the port on 443 for https and 80 for http', () => {
    const endpoints = publicEndpoints(resolveStackConfig());
    expect([endpoints.https.url, endpoints.http.url]).toEqual(['https://192.168.49.240', 'http://192.168.49.240']);
    expect([endpoints.https.portSuffix, endpoints.http.portSuffix]).toEqual(['', '']);
  });

  test('S5 S7 a URL names any other port, also a moved http or https port', () => {
    const endpoints = publicEndpoints(resolveStackConfig({ ports: { http: 8080, https: 8443 } }));
    expect([endpoints.https.url, endpoints.http.url, endpoints.wordpress.url]).toEqual(['https://192.168.49.240:8443', 'http://192.168.49.240:8080', 'https://192.168.49.240:5050']);
    expect(endpoints.https.portSuffix).toBe(':8443');
  });

  test('S5 S7 K3 a moved WordPress port reaches its Service, its install URL and nginx\'s redirect alike', () => {
    const objects = synth({ ports: { wordpress: 6050 } }).charts['ft-services'];
    expect(named(objects, 'Service', 'wordpress').spec.ports.map((p: Manifest) => p.port)).toEqual([6050]);
    expect(envOf(objects, 'Deployment', 'wordpress').WORDPRESS_URL).toBe('https://192.168.49.240:6050');
    expect(envOf(objects, 'Deployment', 'nginx').WORDPRESS_PORT_SUFFIX).toBe(':6050');
  });
});

describe('S3 the summary', () => {
  test('S3 S7 the summary names a moved https port in nginx\'s URL and the paths under it', () => {
    const text = summary(resolveStackConfig({ ports: { https: 8443 } }), '/secrets');
    expect(text).toContain('https://192.168.49.240:8443/ ');
    expect(text).toContain('https://192.168.49.240:8443/wordpress');
    expect(text).toContain('https://192.168.49.240:8443/phpmyadmin/');
    expect(text).not.toContain('https://192.168.49.240/');
  });

  test('S3 on the default ports the summary names no :443 or :80', () => {
    const text = summary(resolveStackConfig(), '/secrets');
    expect(text).toContain('https://192.168.49.240/ ');
    expect(text).toContain('(http://192.168.49.240/ redirects here)');
    expect(text).not.toMatch(/:443|:80\b/);
  });
});

describe('S4 S11 S12 what the checks expect is what the chart makes', () => {
  const objects = synth().charts['ft-services'];

  test('S4 S12 every service has the Service type its module gives it, and telegraf none', () => {
    const types = Object.fromEntries(ofKind(objects, 'Service').map((s) => [s.metadata.name, s.spec.type]));
    expect(Object.fromEntries(SERVICE_NAMES.map((name) => [name, types[name] ?? 'none'])))
      .toEqual(Object.fromEntries(stackServices().map((service) => [service.name, service.exposure.type])));
  });

  test('K7 S11 the DaemonSets are exactly DAEMONSET_SERVICES, every other service a Deployment', () => {
    const kinds = Object.fromEntries(workloads(objects).map((w) => [w.metadata.name, w.kind]));
    expect(Object.fromEntries(SERVICE_NAMES.map((name) => [name, (DAEMONSET_SERVICES as readonly string[]).includes(name) ? 'DaemonSet' : 'Deployment']))).toEqual(kinds);
  });
});

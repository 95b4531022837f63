/**
 * B1 B13: what a user's configuration file may hold, and the messages for one that is wrong: each
 * names the file or the field, the value and what is allowed, so the user can fix it without a
 * stack trace.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closestName, resolveStackConfig, StackConfigOverrides } from '../lib/config';
import { readOverrides } from '../lib/setup/config-files';
import { errorMessage } from './support/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const where = path.join(dir, name);
  fs.writeFileSync(where, text);
  return where;
}

describe('B13 a configuration file that is not a JSON object is refused with its name and the reason', () => {
  test('B13 invalid JSON', () => {
    const where = file('broken.json', '{ "namespace": "x", }');
    expect(errorMessage(() => readOverrides(where))).toMatch(new RegExp(`^${where}: is not valid JSON \\(.+\\)$`));
  });

  test('B13 a top-level list, a string, null', () => {
    expect(errorMessage(() => readOverrides(file('list.json', '[{"namespace": "x"}]')))).toContain('must hold one JSON object ({ "namespace": …, "ports": { … } }), not a list');
    expect(errorMessage(() => readOverrides(file('string.json', '"ft"')))).toContain('not a string');
    expect(errorMessage(() => readOverrides(file('null.json', 'null')))).toContain('not null');
  });

  test('B13 a file that does not exist', () => {
    expect(errorMessage(() => readOverrides(path.join(dir, 'none.json')))).toBe(`${path.join(dir, 'none.json')}: no such file`);
  });

  test('B13 a JSON object is read as it is', () => {
    expect(readOverrides(file('good.json', '{ "namespace": "my-stack", "ports": { "wordpress": 8080 } }'))).toEqual({ namespace: 'my-stack', ports: { wordpress: 8080 } });
  });
});

describe('B1 B13 each field keeps the type of its default', () => {
  const cases: ReadonlyArray<[string, unknown, string]> = [
    ['a number where a string is expected', { namespace: 5 }, 'stack config: namespace is 5; allowed: a string'],
    ['a string where a number is expected', { ports: { wordpress: '8080' } }, 'stack config: ports.wordpress is "8080"; allowed: a number'],
    ['a list where an object is expected', { ports: [80] }, 'stack config: ports is [80]; allowed: an object'],
    ['an object where a list is expected', { wordpress: { users: { login: 'a' } } }, 'stack config: wordpress.users is {"login":"a"}; allowed: a list'],
    ['a string where an object is expected', { loadBalancer: '10.0.0.1' }, 'stack config: loadBalancer is "10.0.0.1"; allowed: an object'],
    ['null', { images: { registry: null } }, 'stack config: images.registry is null; allowed: a string'],
  ];
  test.each(cases)('B13 %s', (_, overrides, expected) => {
    expect(errorMessage(() => resolveStackConfig(overrides as StackConfigOverrides))).toBe(expected);
  });

  test('B13 an optional field without a default is still checked', () => {
    expect(errorMessage(() => resolveStackConfig({ storage: { storageClass: 7 as unknown as string } }))).toBe('stack config: storage.storageClass is 7; allowed: a StorageClass name (DNS subdomain)');
  });
});

describe('B13 an unknown field names the known ones, with a guess when one is close', () => {
  test('B13 a typo gets "did you mean"', () => {
    expect(errorMessage(() => resolveStackConfig({ ports: { wordpres: 5050 } } as StackConfigOverrides)))
      .toBe('stack config: ports.wordpres is 5050; allowed: one of the known fields: http, https, ssh, wordpress, phpmyadmin, ftps, grafana (did you mean "wordpress"?)');
    expect(errorMessage(() => resolveStackConfig({ namepsace: 'x' } as StackConfigOverrides))).toContain('(did you mean "namespace"?)');
    expect(errorMessage(() => resolveStackConfig({ loadbalancer: {} } as StackConfigOverrides))).toContain('(did you mean "loadBalancer"?)');
  });

  test('B13 a name far from every known one gets no guess', () => {
    expect(errorMessage(() => resolveStackConfig({ colour: 'blue' } as StackConfigOverrides))).not.toContain('did you mean');
    expect(closestName('xyz', ['namespace', 'ports'])).toBeUndefined();
    expect(closestName('htp', ['http', 'https'])).toBe('http');
  });
});

describe('B13 the settings a stack was set up with are remembered', () => {
  // Imported here: prepare loads the chart, which the tests above do not need.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { resolveRun } = require('../lib/setup/prepare') as typeof import('../lib/setup/prepare');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { rememberedConfig, statePaths } = require('../lib/setup/state') as typeof import('../lib/setup/state');
  const ROOT = path.resolve(__dirname, '..');
  const state = path.join(dir, 'state');
  const mine = file('mine.json', JSON.stringify({ namespace: 'my-stack', ports: { wordpress: 8080 } }));
  beforeAll(() => {
    fs.mkdirSync(state, { recursive: true });
    fs.writeFileSync(statePaths(state).setupConfig, JSON.stringify({ loadBalancer: { address: '192.168.49.240' } }));
    fs.writeFileSync(statePaths(state).userConfig, fs.readFileSync(mine));
  });

  test('B13 later commands get the remembered settings, with or without the same --config', () => {
    expect(rememberedConfig(state).ports.wordpress).toBe(8080);
    expect(rememberedConfig(state, mine).namespace).toBe('my-stack');
  });

  test('B13 another --config for a command other than up is refused, saying what to do', () => {
    const other = file('other.json', JSON.stringify({ namespace: 'my-stack' }));
    expect(errorMessage(() => rememberedConfig(state, other))).toBe(`${other} is not the configuration this stack was set up with (${statePaths(state).userConfig}). `
      + `To change the stack, run ./setup.sh up --config ${other}; to act on the stack as it is, leave --config out.`);
  });

  test('B13 up may change the settings, but not move the stack to another namespace (the old one would keep running)', () => {
    const ports = file('ports.json', JSON.stringify({ namespace: 'my-stack', ports: { wordpress: 8081 } }));
    expect(resolveRun({ root: ROOT, stateDir: state, userConfigFile: ports, nodeIp: '192.168.49.2' }).config.ports.wordpress).toBe(8081);
    const moved = file('moved.json', JSON.stringify({ namespace: 'elsewhere' }));
    expect(errorMessage(() => resolveRun({ root: ROOT, stateDir: state, userConfigFile: moved, nodeIp: '192.168.49.2' })))
      .toBe('namespace is "elsewhere"; allowed: the namespace this stack lives in ("my-stack"); to move it, run ./setup.sh delete first (it deletes the data), then ./setup.sh up');
  });

  test('B13 no state yet: commands other than up say to run setup first', () => {
    expect(errorMessage(() => rememberedConfig(path.join(dir, 'none')))).toBe(`no settings in ${path.join(dir, 'none')} yet: run ./setup.sh first`);
  });
});

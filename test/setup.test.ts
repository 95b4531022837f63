/**
 * ./setup.sh without a cluster: its functions are sourced and run with small fake `minikube` and
 * `kubectl` scripts that record their arguments (S1, S4, B2, B6, B9, B13); and setup's TypeScript
 * side (lib/setup/) called directly. Real openssl and ssh-keygen make the credentials.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkExitCode, formatResult, formatSummary, runChecks } from '../lib/setup/check';
import { resolveStackConfig } from '../lib/config';
import { Kubectl, probeDataSurvivesPodDeletion, probeRestartWhenProcessDies, probeServiceAddresses } from '../lib/probes/cluster';
import { ProbeResult } from '../lib/probes/probe';
import { stackSecrets } from '../lib/secrets';
import { credentials } from '../lib/setup/report';
import { readCredential } from '../lib/setup/state';
import { ensureCredentials, randomString, secretChecksums } from '../lib/setup/credentials';
import { imageTag } from '../lib/setup/image-tags';
import { lbAddressFor, secretManifests } from '../lib/setup/prepare';

jest.setTimeout(60000);

const ROOT = path.resolve(__dirname, '..');
const SETUP = path.join(ROOT, 'setup.sh');
const SETUP_TEXT = fs.readFileSync(SETUP, 'utf8');

interface Run { status: number | null; stdout: string; stderr: string; output: string }

/** Runs `script` in bash after sourcing setup.sh (or runs setup.sh itself when `args` is given). */
function bash(script: string, env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync('/bin/bash', ['-c', `source "${SETUP}"\n${script}`], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

function setup(args: readonly string[], env: NodeJS.ProcessEnv): Run {
  const result = spawnSync('/bin/bash', [SETUP, ...args], { cwd: ROOT, env, encoding: 'utf8', input: '' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

/** Every temporary folder of this file, removed once its tests are done. */
const temporary: string[] = [];
afterAll(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ft-setup-${name}-`));
  temporary.push(dir);
  return dir;
}

/** A fake command that appends its arguments to $FAKE_LOG and then runs `body` (sh). */
function fakeCommand(dir: string, name: string, body = ''): void {
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$FAKE_LOG"\n${body}\n`, { mode: 0o755 });
}

/** A bin folder with links to the real tools setup.sh uses, leaving out `missing`. */
function pathWithout(missing: readonly string[]): string {
  const dir = tempDir('bin');
  const tools = ['node', 'npm', 'npx', 'openssl', 'ssh-keygen', 'uname', 'cat', 'mkdir', 'chmod', 'rm', 'mv', 'head', 'tr', 'grep', 'awk',
    'sed', 'mktemp', 'tail', 'touch', 'dirname', 'basename', 'env', 'sleep'];
  for (const tool of tools.filter((name) => !missing.includes(name))) {
    const real = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (real !== '') fs.symlinkSync(real, path.join(dir, tool));
  }
  for (const fake of ['minikube', 'kubectl'].filter((name) => !missing.includes(name))) fakeCommand(dir, fake);
  return dir;
}

describe('S1 ./setup.sh --help', () => {
  const help = setup(['--help'], process.env);

  test('S1 --help exits 0 and names every command the script dispatches', () => {
    expect(help.status).toBe(0);
    const dispatch = /case "\$command" in([\s\S]*?)esac/.exec(SETUP_TEXT)?.[1] ?? '';
    const commands = [...dispatch.matchAll(/^\s*([a-z]+)\)/gm)].map((match) => match[1]);
    expect(commands).toEqual(expect.arrayContaining(['up', 'check', 'credentials', 'delete', 'help']));
    for (const command of commands) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  test('S1 --help documents every FT_ environment variable and option the script reads', () => {
    const variables = new Set([...SETUP_TEXT.matchAll(/\$\{?(FT_[A-Z_]+)/g)].map((match) => match[1]));
    expect(variables.size).toBeGreaterThan(5);
    for (const variable of variables) expect(help.stdout).toContain(variable);
    for (const option of ['--config FILE', '--yes']) expect(help.stdout).toContain(option);
  });

  test('B13 --help shows examples, and `sh ./setup.sh --help` starts again with bash', () => {
    expect(help.stdout).toMatch(/^Examples:\n {2}\.\/setup\.sh /m);
    expect(help.stdout).toContain('-y, --yes');
    const viaSh = spawnSync('sh', ['./setup.sh', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(viaSh.status).toBe(0);
    expect(viaSh.stdout).toBe(help.stdout);
  });

  test('B13 help and messages carry no requirement IDs, and no colour when piped', () => {
    expect(help.stdout).not.toMatch(/\b[SBKD][0-9]{1,2}\b(?![0-9])/);
    expect(help.stdout).not.toContain('\u001b[');
  });

  test('S1 an unknown argument prints the usage and fails', () => {
    const run = setup(['--frobnicate'], process.env);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('unknown argument: --frobnicate');
    expect(run.stderr).toContain('Usage: ./setup.sh');
  });
});

describe('S1 preflight: each missing tool stops setup with a message saying what to install', () => {
  const cases: Array<[string, RegExp]> = [
    ['minikube', /minikube not found\. Install minikube .*minikube\.sigs\.k8s\.io/],
    ['node', /node not found\. Install Node\.js 18 or later/],
    ['npm', /npm not found\. Install npm/],
    ['openssl', /openssl not found\. Install OpenSSL/],
    ['ssh-keygen', /ssh-keygen not found\. Install OpenSSH's ssh-keygen/],
  ];
  test.each(cases)('S1 without %s, ./setup.sh exits non-zero and says so', (tool, message) => {
    const bin = pathWithout([tool]);
    const log = path.join(bin, 'fake.log');
    const run = setup(['up'], { PATH: bin, FAKE_LOG: log, HOME: bin });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    // Nothing was started: preflight is the first step.
    expect(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').not.toMatch(/start|apply/);
  });

  test("S1 without kubectl, setup uses 'minikube kubectl --' on the profile's context", () => {
    const bin = pathWithout(['kubectl']);
    const run = bash('preflight_tools && printf "KUBECTL=%s\\n" "${KUBECTL[*]}"', { PATH: bin, FAKE_LOG: path.join(bin, 'fake.log'), FT_MINIKUBE_PROFILE: 'ft' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("kubectl not found: using 'minikube kubectl --'");
    expect(run.stdout).toContain('KUBECTL=minikube -p ft kubectl -- --context ft');
  });

  test('S1 with every tool present, preflight passes and uses kubectl on the profile\'s context', () => {
    const bin = pathWithout([]);
    const run = bash('preflight_tools && printf "KUBECTL=%s\\n" "${KUBECTL[*]}"', { PATH: bin, FAKE_LOG: path.join(bin, 'fake.log') });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('KUBECTL=kubectl --context minikube');
  });
});

describe('S4 the load-balancer address inside minikube\'s network', () => {
  test('S4 the address is .240 of the node\'s /24, .241 when the node itself is .240', () => {
    expect(['192.168.49.2', '192.168.58.240', '10.0.2.15'].map(lbAddressFor)).toEqual(['192.168.49.240', '192.168.58.241', '10.0.2.240']);
  });

  test('S4 B13 an answer of `minikube ip` that is not an IPv4 address is refused, naming it', () => {
    expect(() => lbAddressFor('192.168.49')).toThrow('the node IP printed by `minikube ip` is "192.168.49"; allowed: an IPv4 address (is the cluster running?)');
  });
});

describe('B2 credentials', () => {
  // Inside the repository's .ft/, as a real run: git must ignore it.
  const state = path.join(ROOT, '.ft', `test-${process.pid}-${Date.now()}`);
  const secretsDir = path.join(state, 'secrets');
  const config = resolveStackConfig();
  const planned = Object.values(stackSecrets(config)).flatMap((secret) => secret.keys.map((key) => path.join(secretsDir, secret.name, key.key)));
  let first: ReturnType<typeof ensureCredentials>;

  const snapshot = () => Object.fromEntries(planned.map((file) => [file, `${fs.statSync(file).mtimeMs} ${fs.readFileSync(file, 'utf8')}`]));

  beforeAll(() => {
    first = ensureCredentials(secretsDir, config);
  });
  afterAll(() => fs.rmSync(state, { recursive: true, force: true }));

  test('B2 every key of stackSecrets() is generated under .ft/secrets/<secret>/<key>', () => {
    expect(first).toEqual({ created: planned.length - 3, newCertificate: true });
    for (const file of planned) expect(fs.statSync(file).size).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(secretsDir, 'ssh-host-keys/ssh_host_ed25519_key'), 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
    expect(fs.readFileSync(path.join(secretsDir, 'phpmyadmin/blowfish-secret'), 'utf8')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(fs.readFileSync(path.join(secretsDir, 'mysql-root/password'), 'utf8')).toMatch(/^[A-Za-z0-9]{24}$/);
  });

  test('B2 passwords differ from each other, and draw on every letter and digit', () => {
    const passwords = planned.filter((file) => !/tls\.|ssh_host/.test(file)).map((file) => fs.readFileSync(file, 'utf8'));
    expect(new Set(passwords).size).toBe(passwords.length);
    expect(new Set(randomString(5000)).size).toBe(62);
  });

  test('B2 files are 0600 in 0700 folders, and git ignores them', () => {
    expect(fs.statSync(state).mode & 0o777).toBe(0o700);
    expect(fs.statSync(secretsDir).mode & 0o777).toBe(0o700);
    for (const file of planned) {
      expect([file, fs.statSync(file).mode & 0o777]).toEqual([file, 0o600]);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      expect(spawnSync('git', ['check-ignore', '-q', file], { cwd: ROOT }).status).toBe(0);
    }
  });

  test('B2 the TLS certificate names the load-balancer address', () => {
    const text = spawnSync('openssl', ['x509', '-in', path.join(secretsDir, 'tls/tls.crt'), '-noout', '-text'], { encoding: 'utf8' }).stdout;
    expect(text).toMatch(/IP Address:192\.168\.49\.240/);
  });

  test('B2 a second run changes no file', () => {
    const before = snapshot();
    expect(ensureCredentials(secretsDir, config)).toEqual({ created: 0, newCertificate: false });
    expect(snapshot()).toEqual(before);
  });

  test('B9 a new address remakes the certificate, and changes the checksum of the tls Secret only', () => {
    const copy = path.join(state, 'moved');
    fs.cpSync(secretsDir, copy, { recursive: true });
    const before = secretChecksums(copy, config);
    const moved = resolveStackConfig({ loadBalancer: { address: '192.168.58.240' } });
    expect(ensureCredentials(copy, moved)).toEqual({ created: 0, newCertificate: true });
    const after = secretChecksums(copy, moved);
    expect(Object.keys(after).filter((name) => after[name] !== before[name])).toEqual(['tls']);
  });

  test('B10 ./setup.sh credentials lists MySQL\'s monitoring account with its password', () => {
    const table = credentials(config, (secret, key) => readCredential(state, secret, key));
    const password = fs.readFileSync(path.join(secretsDir, 'mysql-metrics/password'), 'utf8');
    expect(table.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^MySQL metrics \\(in-pod\\) +metrics +${password}$`)));
  });

  test('B2 the Secrets manifest holds every key base64-encoded, in the stack namespace with the stack label', () => {
    const documents = secretManifests(secretsDir, config).split('---\n').filter((text) => text !== '').map((text) => JSON.parse(text));
    expect(documents.map((secret) => secret.metadata.name)).toEqual(Object.values(stackSecrets(config)).map((secret) => secret.name));
    for (const secret of documents) {
      expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'ft-services', labels: { 'app.kubernetes.io/part-of': 'ft-services' } } });
    }
    const tls = documents.find((secret) => secret.metadata.name === 'tls');
    expect(tls.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(tls.data['tls.crt'], 'base64').toString()).toBe(fs.readFileSync(path.join(secretsDir, 'tls/tls.crt'), 'utf8'));
    const users = documents.find((secret) => secret.metadata.name === 'wordpress-users');
    expect(Object.keys(users.data)).toEqual(config.wordpress.users.map((user) => user.login));
  });
});

describe('B9 image tags and builds', () => {
  const srcs = path.join(tempDir('srcs'), 'srcs');
  beforeAll(() => fs.cpSync(path.join(ROOT, 'srcs'), srcs, { recursive: true }));

  test('B9 a tag changes when a file of srcs/<service> or srcs/common changes, not when another service changes', () => {
    const before = { nginx: imageTag(srcs, 'nginx'), mysql: imageTag(srcs, 'mysql') };
    fs.appendFileSync(path.join(srcs, 'mysql', 'entrypoint.sh'), '\n# changed\n');
    expect(imageTag(srcs, 'nginx')).toBe(before.nginx);
    expect(imageTag(srcs, 'mysql')).not.toBe(before.mysql);
    fs.appendFileSync(path.join(srcs, 'common', 'healthz.php'), '\n');
    expect(imageTag(srcs, 'nginx')).not.toBe(before.nginx);
  });

  test('B9 a tag changes when a file becomes executable, and is a valid Docker tag', () => {
    const before = imageTag(srcs, 'ftps');
    const file = path.join(srcs, 'ftps', 'vsftpd.conf.template');
    fs.chmodSync(file, 0o755);
    expect(imageTag(srcs, 'ftps')).not.toBe(before);
    expect(before).toMatch(/^[0-9a-f]{12}$/);
  });

  // What `ft prepare` told setup: one SERVICE:TAG a line.
  const BUILD = 'IMAGES=$(printf "nginx:aaa111\\nmysql:bbb222\\nftps:ccc333\\n"); build_images';

  function fakeMinikube(images: readonly string[], buildsWork = true) {
    const bin = tempDir('minikube');
    const store = path.join(bin, 'images');
    fs.writeFileSync(store, images.map((image) => `${image}\n`).join(''));
    fakeCommand(bin, 'minikube', [
      'case "$3 $4" in',
      `  "image ls") cat "${store}" ;;`,
      `  "image build") ${buildsWork ? `echo "docker.io/library/$6" >> "${store}"` : 'echo "build failed" >&2'} ;;`,
      'esac',
    ].join('\n'));
    const state = tempDir('state');
    return { bin, state, log: path.join(bin, 'fake.log'), env: { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: path.join(bin, 'fake.log'), FT_STATE_DIR: state } };
  }

  test('B9 only the images whose tag the cluster lacks are built, each with srcs/ as context and its own Dockerfile', () => {
    const fake = fakeMinikube(['docker.io/library/nginx:aaa111', 'docker.io/library/mysql:old000']);
    const run = bash(BUILD, fake.env);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('nginx:aaa111 is already in the cluster');
    const builds = fs.readFileSync(fake.log, 'utf8').split('\n').filter((line) => line.includes('image build')).sort();
    expect(builds).toEqual([
      `-p minikube image build -t ftps:ccc333 -f ftps/Dockerfile ${ROOT}/srcs`,
      `-p minikube image build -t mysql:bbb222 -f mysql/Dockerfile ${ROOT}/srcs`,
    ]);
    expect(fs.readFileSync(path.join(fake.state, 'made'), 'utf8').split('\n').sort()).toEqual(['', 'image ftps:ccc333', 'image mysql:bbb222']);
  });

  test('B9 an image is found in a long listing (no pipe that SIGPIPE can fail under pipefail)', () => {
    // A real cluster lists every system image too; grep -q stops reading at the first match, so a
    // writer piped into it gets SIGPIPE once the listing outgrows the pipe, and pipefail then says
    // "absent" and setup rebuilds an image it has.
    const others = Array.from({ length: 2000 }, (_, i) => `registry.k8s.io/other-image-${i}:v1.0.0`).join('\n');
    const check = bash(`if image_present nginx:aaa111 "docker.io/library/nginx:aaa111\n${others}"; then echo found; else echo "absent: $?"; fi`);
    expect(check.stdout.trim()).toBe('found');
  });

  test('B9 a second run builds nothing', () => {
    const fake = fakeMinikube([]);
    expect(bash(BUILD, fake.env).status).toBe(0);
    fs.writeFileSync(fake.log, '');
    const again = bash(BUILD, fake.env);
    expect(again.status).toBe(0);
    expect(fs.readFileSync(fake.log, 'utf8')).not.toContain('image build');
  });

  test('B9 a build that leaves no image fails setup with the build log, even when minikube exits 0', () => {
    const fake = fakeMinikube([], false);
    const run = bash(BUILD, fake.env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('image build failed: nginx:aaa111 mysql:bbb222 ftps:ccc333. The whole logs are in');
    expect(run.stderr).toContain('build failed');
    // Reported once per image, as a build that exited 0 without an image, and one error line.
    expect(run.stderr.match(/the build exited 0 but left no image/g)).toHaveLength(3);
    expect(run.stderr.match(/error:/g)).toHaveLength(1);
  });
});

describe('B13 colour on a terminal only', () => {
  // util-linux script(1) gives the command a pseudo-terminal, as a user's shell has.
  const onTerminal = (env: NodeJS.ProcessEnv) => spawnSync('script', ['-qec', `bash -c 'source "${SETUP}"; run_step Title true'`, '/dev/null'],
    { cwd: ROOT, env: { ...process.env, TERM: 'xterm', ...env }, encoding: 'utf8' }).stdout;

  test('B13 a terminal gets bold steps and a green "done"', () => {
    expect(onTerminal({})).toContain('\u001b[1m==> Title\u001b[0m');
  });

  test('B13 NO_COLOR, TERM=dumb or a pipe get none', () => {
    expect(onTerminal({ NO_COLOR: '1' })).not.toContain('\u001b[');
    expect(onTerminal({ TERM: 'dumb' })).not.toContain('\u001b[');
    // bash's SECONDS ticks on whole seconds since the shell started: a step of a few milliseconds
    // that straddles a tick says 1s.
    expect(bash('run_step Title true').stdout).toMatch(/^==> Title\n {4}done in [01]s\n$/);
  });
});

describe('B13 inputs are validated before anything changes', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['FT_MINIKUBE_CPUS', { FT_MINIKUBE_CPUS: 'two' }, "FT_MINIKUBE_CPUS is 'two'; allowed: a whole number of CPUs such as 2"],
    ['FT_MINIKUBE_MEMORY', { FT_MINIKUBE_MEMORY: '3g' }, "FT_MINIKUBE_MEMORY is '3g'; allowed: megabytes as a whole number such as 3072"],
    ['FT_TIMEOUT', { FT_TIMEOUT: 'soon' }, "FT_TIMEOUT is 'soon'; allowed: a duration such as 600s, 10m or 1h"],
    ['FT_MINIKUBE_CNI', { FT_MINIKUBE_CNI: 'calicoo' }, "FT_MINIKUBE_CNI is 'calicoo'; allowed: calico, cilium, auto, bridge, kindnet, flannel, false or a CNI manifest file"],
  ];
  test.each(cases)('B13 a bad %s is refused with exit status 1 before any tool runs', (_, variables, message) => {
    const bin = pathWithout([]);
    const log = path.join(bin, 'fake.log');
    const run = setup(['up'], { PATH: bin, FAKE_LOG: log, HOME: bin, ...variables });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`error: ${message}\n`);
    expect(fs.existsSync(log)).toBe(false);
  });

  test('B8 minikube cni.go values that do not enforce NetworkPolicies are allowed with a warning', () => {
    const run = bash('validate_environment', { FT_MINIKUBE_CNI: 'bridge' });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('FT_MINIKUBE_CNI=bridge does not enforce NetworkPolicies');
  });
});

describe('B13 failures say what failed and what to do next', () => {
  test('B13 a failing step is named once, with the next step, and no "line N" trace', () => {
    const run = bash('trap on_exit EXIT; run_step "Building the images that changed" false');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: Building the images that changed failed (exit status 1); its output is above.\n'
      + 'Fix what it says and run ./setup.sh again: it resumes. See "Troubleshooting" in README.md.\n');
  });

  test('B13 an error that explains itself is not followed by a second one', () => {
    const run = bash('trap on_exit EXIT; run_step "Installing MetalLB" die "MetalLB refused"');
    expect(run.stderr).toBe('error: MetalLB refused\n');
  });

  test('B13 Ctrl-C says the run was interrupted and that running again resumes', () => {
    const run = bash('trap on_exit EXIT; trap on_interrupt INT; run_step "Waiting for the stack" kill -INT $$; sleep 5');
    expect(run.status).toBe(130);
    expect(run.stderr).toBe('\ninterrupted during "Waiting for the stack". Nothing is lost: run ./setup.sh again and it resumes.\n');
  });

  test('B13 check, status and delete on a stopped cluster say how to start it', () => {
    const bin = tempDir('stopped');
    fakeCommand(bin, 'minikube', 'echo "Stopped Stopped"; exit 7');
    const run = bash('require_running_cluster', { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: path.join(bin, 'fake.log') });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: minikube is not running (profile minikube): run ./setup.sh or minikube -p minikube start\n');
  });
});

describe('S3 B9 the dashboard add-on', () => {
  // minikube cmd/minikube/cmd/config/addons_list.go printAddonsJSON: one JSON object, keys sorted.
  const listing = (status: string) => JSON.stringify({ dashboard: { Profile: 'minikube', Status: status }, 'default-storageclass': { Profile: 'minikube', Status: 'enabled' } });

  function withMinikube(body: string) {
    const bin = tempDir('addons');
    fakeCommand(bin, 'minikube', body);
    const state = tempDir('state');
    return { env: { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: path.join(bin, 'fake.log'), FT_STATE_DIR: state }, log: path.join(bin, 'fake.log'), state };
  }

  test('B9 an enabled dashboard is left alone and not recorded as setup\'s', () => {
    const fake = withMinikube(`case "$4" in list) echo '${listing('enabled')}' ;; esac`);
    const run = bash('enable_addon dashboard', fake.env);
    expect(run.stdout).toContain('dashboard add-on already enabled');
    expect(fs.readFileSync(fake.log, 'utf8')).toBe('-p minikube addons list -o json\n');
    expect(fs.existsSync(path.join(fake.state, 'made'))).toBe(false);
  });

  test('B9 a disabled dashboard is enabled and recorded, so delete disables it', () => {
    const fake = withMinikube(`case "$4" in list) echo '${listing('disabled')}' ;; esac`);
    expect(bash('enable_addon dashboard', fake.env).status).toBe(0);
    expect(fs.readFileSync(fake.log, 'utf8')).toContain('-p minikube addons enable dashboard');
    expect(fs.readFileSync(path.join(fake.state, 'made'), 'utf8')).toBe('addon dashboard\n');
  });

  test('B9 a minikube that writes its answer in pieces and slowly is read whole (no pipe SIGPIPE can break)', () => {
    const json = listing('enabled');
    const fake = withMinikube(`case "$4" in list) printf '%s' '${json.slice(0, 30)}'; sleep 0.2; printf '%s\\n' '${json.slice(30)}'; for i in $(seq 1 2000); do echo; done ;; esac`);
    for (let i = 0; i < 3; i++) expect(bash('set -o pipefail; addon_enabled dashboard', fake.env).status).toBe(0);
  });
});

describe('S4 MetalLB on minikube\'s control-plane node', () => {
  // metallb v0.16.1 speaker/layer2_controller.go: `if !c.ignoreExcludeLB && k8snodes.IsNodeExcludedFromBalancers(nodes[s])`
  // skips announcing; speaker/main.go defines the flag --ignore-exclude-lb. kubeadm labels control-plane
  // nodes node.kubernetes.io/exclude-from-external-load-balancers, and minikube's only node is one.
  function withKubectl(args: string) {
    const bin = tempDir('metallb');
    fakeCommand(bin, 'kubectl', `case "$*" in *"get daemonset speaker"*) printf '%s' '${args}' ;; esac`);
    const state = tempDir('state');
    return { env: { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: path.join(bin, 'fake.log'), FT_STATE_DIR: state }, log: path.join(bin, 'fake.log'), state };
  }
  const URL = 'https://raw.githubusercontent.com/metallb/metallb/v0.16.1/config/manifests/metallb-native.yaml';

  test('S4 the speaker of the MetalLB setup installed gets --ignore-exclude-lb, once', () => {
    const fake = withKubectl('["--port=9120","--log-level=info"]');
    fs.writeFileSync(path.join(fake.state, 'made'), `metallb ${URL}\n`);
    const run = bash('KUBECTL=(kubectl --context minikube); ensure_speaker_ignores_exclude_label', fake.env);
    expect(run.status).toBe(0);
    expect(fs.readFileSync(fake.log, 'utf8').trim().split('\n')).toEqual([
      '--context minikube -n metallb-system get daemonset speaker -o jsonpath={.spec.template.spec.containers[0].args}',
      '--context minikube -n metallb-system patch daemonset speaker --type=json -p [{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--ignore-exclude-lb"}]',
    ]);
  });

  test('S4 a speaker that has the flag is not patched again (no needless rollout)', () => {
    const fake = withKubectl('["--port=9120","--log-level=info","--ignore-exclude-lb"]');
    fs.writeFileSync(path.join(fake.state, 'made'), `metallb ${URL}\n`);
    bash('KUBECTL=(kubectl --context minikube); ensure_speaker_ignores_exclude_label', fake.env);
    expect(fs.readFileSync(fake.log, 'utf8')).not.toContain('patch');
  });

  test('S4 a MetalLB setup did not install is not changed: setup says what to run', () => {
    const fake = withKubectl('["--port=9120","--log-level=info"]');
    const run = bash('KUBECTL=(kubectl --context minikube); ensure_speaker_ignores_exclude_label', fake.env);
    expect(fs.readFileSync(fake.log, 'utf8')).not.toContain('patch');
    expect(run.stderr).toContain('runs its speaker without --ignore-exclude-lb');
    expect(run.stderr).toContain('kubectl --context minikube -n metallb-system patch daemonset speaker --type=json');
  });

  test('B9 a MetalLB that was there before is used, not reinstalled, and not recorded as setup\'s', () => {
    const bin = tempDir('metallb');
    fakeCommand(bin, 'kubectl', 'case "$*" in *"get namespace metallb-system"*) echo namespace/metallb-system ;; *"get daemonset speaker"*) printf "%s" "[\\"--ignore-exclude-lb\\"]" ;; esac');
    const state = tempDir('state');
    const run = bash('KUBECTL=(kubectl --context minikube); LB_MODE=metallb; install_metallb', { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: path.join(bin, 'fake.log'), FT_STATE_DIR: state });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('MetalLB was already installed: setup uses it, and delete leaves it');
    expect(fs.readFileSync(path.join(bin, 'fake.log'), 'utf8')).not.toMatch(/ apply /);
    expect(fs.existsSync(path.join(state, 'made'))).toBe(false);
  });
});

describe('B8 the network plugin', () => {
  function pods(names: readonly string[]) {
    const bin = tempDir('cni');
    fakeCommand(bin, 'kubectl', `printf '%s\\n' ${names.map((name) => `pod/${name}`).join(' ')}`);
    return bash('KUBECTL=(kubectl --context minikube); check_network_policy_support', { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: path.join(bin, 'fake.log') });
  }

  test('B8 calico or cilium pods in kube-system: NetworkPolicies are enforced', () => {
    expect(pods(['coredns-7db6d8ff4d-x2x9q', 'calico-node-4xk2p']).stdout).toContain('the network plugin enforces NetworkPolicies');
    expect(pods(['cilium-8kq2d']).stderr).toBe('');
  });

  test('B8 minikube\'s default bridge (no such pods): a warning with the way to recreate the cluster', () => {
    const run = pods(['coredns-7db6d8ff4d-x2x9q', 'kube-proxy-9fj2k']);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('does not enforce NetworkPolicies');
    expect(run.stderr).toContain('minikube -p minikube delete && ./setup.sh (it starts minikube with --cni=calico)');
  });
});

describe('B6 the check runner', () => {
  const result = (requirement: string, title: string, ok: boolean, detail: string): ProbeResult => ({ requirement, title, ok, detail });

  test('B6 every check runs in order and each result is reported as it comes', async () => {
    const seen: string[] = [];
    const results = await runChecks([
      { requirement: 'S7', run: async () => result('S7', 'http redirects', true, '301') },
      { requirement: 'S8', run: async () => result('S8', 'ftps upload', false, 'timeout') },
    ], (r) => seen.push(r.title));
    expect(seen).toEqual(['http redirects', 'ftps upload']);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
  });

  test('B6 the table shows pass or FAIL with the requirement ID, the title and the detail', () => {
    expect(formatResult(result('S7', 'http redirects', true, '301 Location: https://x/'))).toMatch(/^S7 +pass +http redirects\n +301 Location: https:\/\/x\/$/);
    expect(formatResult(result('S10', 'mysql keeps data', false, 'marker gone'))).toMatch(/^S10 +FAIL +mysql keeps data\n +marker gone$/);
  });

  test('B6 the summary names proven and failing requirements; the exit status is 1 when any check fails', () => {
    const results = [result('S7', 'a', true, ''), result('S7', 'b', false, 'x'), result('S8', 'c', true, '')];
    expect(formatSummary(results)).toBe('requirements proven: S8\nrequirements failing: S7\n2 passed, 1 failed');
    expect(checkExitCode(results)).toBe(1);
    expect(checkExitCode(results.filter((r) => r.ok))).toBe(0);
    expect(checkExitCode([])).toBe(1);
  });
});

describe('B6 cluster probes with a scripted kubectl', () => {
  /** A kubectl that answers from `answers` (first matching args prefix) and records every call. */
  function scripted(answers: Array<[RegExp, string | (() => string)]>) {
    const calls: string[] = [];
    const kubectl: Kubectl = async (args) => {
      const line = args.join(' ');
      calls.push(line);
      const hit = answers.find(([pattern]) => pattern.test(line));
      if (!hit) throw new Error(`unexpected kubectl ${line}`);
      return typeof hit[1] === 'string' ? hit[1] : hit[1]();
    };
    return { kubectl, calls };
  }
  const noPause = async () => undefined;

  test('S11 the restart probe passes when RESTARTS goes up after pkill, and waits for the rollout', async () => {
    let restarts = 0;
    const { kubectl, calls } = scripted([
      [/get pods -l app.kubernetes.io\/name=ftps/, 'ftps-abc'],
      [/get pod ftps-abc/, () => String(restarts)],
      [/exec ftps-abc -- pkill -x vsftpd/, () => { restarts = 1; return ''; }],
      [/rollout status deployment\/ftps|wait --for=condition=Ready/, ''],
    ]);
    const outcome = await probeRestartWhenProcessDies(kubectl, 'ft-services', 'ftps', 'vsftpd', 'deployment', noPause);
    expect(outcome).toMatchObject({ requirement: 'S11', ok: true, detail: 'RESTARTS 0 -> 1, ready again' });
    expect(calls).toContain('-n ft-services rollout status deployment/ftps --timeout=300s');
  });

  test('S11 the restart probe fails when the container never restarts', async () => {
    const { kubectl } = scripted([
      [/get pods -l/, 'ftps-abc'], [/get pod ftps-abc/, '2'], [/exec/, ''],
    ]);
    const outcome = await probeRestartWhenProcessDies(kubectl, 'ft-services', 'ftps', 'vsftpd', 'deployment', noPause);
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toContain('RESTARTS stayed at 2');
  });

  test('S10 the data probe fails when the marker is gone from the new pod', async () => {
    let pod = 'mysql-1';
    const { kubectl } = scripted([
      [/get pods -l/, () => pod],
      [/exec mysql-1/, ''],
      [/delete pod mysql-1/, () => { pod = 'mysql-2'; return ''; }],
      [/rollout status|wait --for/, ''],
      [/exec mysql-2/, ''],
    ]);
    const database = { write: (m: string) => ['write', m], read: (m: string) => ['read', m] };
    const outcome = await probeDataSurvivesPodDeletion(kubectl, 'ft-services', 'mysql', database, 'm-1');
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toContain('the marker is gone');
  });

  test('S10 the data probe passes when the new pod reads the marker back', async () => {
    let pod = 'mysql-1';
    const { kubectl, calls } = scripted([
      [/get pods -l/, () => pod],
      [/exec mysql-1 -- write m-1/, ''],
      [/delete pod mysql-1/, () => { pod = 'mysql-2'; return ''; }],
      [/rollout status|wait --for/, ''],
      [/exec mysql-2 -- read m-1/, 'm-1\n'],
    ]);
    const database = { write: (m: string) => ['write', m], read: (m: string) => ['read', m] };
    expect((await probeDataSurvivesPodDeletion(kubectl, 'ft-services', 'mysql', database, 'm-1')).ok).toBe(true);
    expect(calls.indexOf('-n ft-services exec mysql-1 -- write m-1')).toBeLessThan(calls.indexOf('-n ft-services delete pod mysql-1 --wait=true'));
  });

  test('S4 the Service probe fails when a LoadBalancer Service has another address or a database is public', async () => {
    const services = (nginxIp: string, mysqlType: string) => JSON.stringify({ items: [
      { metadata: { name: 'nginx' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: nginxIp }] } } },
      { metadata: { name: 'mysql' }, spec: { type: mysqlType } },
    ] });
    const expected = { nginx: 'LoadBalancer', mysql: 'ClusterIP' } as const;
    const check = (json: string) => probeServiceAddresses(scripted([[/get services/, json]]).kubectl, 'ft-services', '192.168.49.240', expected);
    expect((await check(services('192.168.49.240', 'ClusterIP'))).ok).toBe(true);
    expect((await check(services('192.168.49.241', 'ClusterIP'))).detail).toContain('nginx has address 192.168.49.241');
    expect((await check(services('192.168.49.240', 'LoadBalancer'))).detail).toContain('mysql is LoadBalancer, expected ClusterIP');
  });
});

/**
 * Everything `./setup.sh up` decides before it applies, in one call (B13): the user's settings,
 * the load-balancer address, the image tags, the credentials and the manifests. Every input is
 * validated before anything is written, so a bad value leaves `.ft/` as it was.
 *
 * `.ft/` after a successful run:
 *   user-config.json   the user's own settings (their --config file, remembered for later commands)
 *   config.json        what setup decided this run: address, image tags, Secret checksums
 *   secrets/           the credentials (lib/setup/credentials.ts)
 *   manifests/         the synthesized charts and the Secrets, applied by setup.sh (mode 0700)
 *   applying-storage.json  this run's storage settings, which setup.sh renames to
 *   deployed-storage.json  once the apply succeeded: what the next run compares with (storage.ts)
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { buildApp } from '../app';
import { autoscalingEnabled, isIPv4, resolveStackConfig, SERVICE_NAMES, StackConfig, StackConfigOverrides } from '../config';
import { stackSecrets } from '../secrets';
import { STACK_NAME } from '../stack-service';
import { ensureCredentials, secretChecksums, secretData } from './credentials';
import { imageTag } from './image-tags';
import { summary } from './report';
import { LB_ADDRESS_ALLOWED, namingSource, rememberedNamespace, SetupInputError, statePaths, StorageChangeError, userOverrides } from './state';
import { deployedStorage, LiveClaims, storageSettings, storageVerdict } from './storage';

/**
 * The load-balancer address in the node's /24 (minikube's network): .240, or .241 when the node
 * itself is .240: a LoadBalancer Service on port 22 at the node's own address could take the
 * traffic meant for the sshd of minikube's docker-driver node, which minikube logs in through
 * (`minikube ssh`, and its provisioning over SSH).
 */
export function lbAddressFor(nodeIp: string): string {
  if (!isIPv4(nodeIp)) throw new SetupInputError('the node IP printed by `minikube ip`', nodeIp, 'an IPv4 address (is the cluster running?)');
  const parts = nodeIp.split('.');
  return `${parts.slice(0, 3).join('.')}.${parts[3] === '240' ? '241' : '240'}`;
}

export interface SetupInputs {
  /** The repository (its `srcs/` holds the image sources). */
  readonly root: string;
  readonly stateDir: string;
  /** The user's configuration file (--config); unset: the one remembered in `.ft/`, if any. */
  readonly userConfigFile?: string;
  /** FT_LB_ADDRESS: the address the user chose. */
  readonly lbAddress?: string;
  /** `minikube ip`, when the user chose no address. */
  readonly nodeIp?: string;
}

export interface Prepared {
  readonly config: StackConfig;
  readonly tags: Readonly<Record<string, string>>;
  readonly credentials: { readonly created: number; readonly newCertificate: boolean };
  readonly paths: ReturnType<typeof statePaths>;
}

/** What setup decides this run, before anything is written: the address and the image tags over the user's settings. */
export function resolveRun(inputs: SetupInputs): { config: StackConfig; user: StackConfigOverrides; own: StackConfigOverrides; tags: Record<string, string> } {
  const { overrides: user, source } = userOverrides(inputs.stateDir, inputs.userConfigFile);
  let address: string;
  if (inputs.lbAddress !== undefined && inputs.lbAddress !== '') {
    if (!isIPv4(inputs.lbAddress)) throw new SetupInputError('FT_LB_ADDRESS', inputs.lbAddress, LB_ADDRESS_ALLOWED);
    address = inputs.lbAddress;
  } else {
    address = lbAddressFor(inputs.nodeIp ?? '');
  }
  const srcs = path.join(inputs.root, 'srcs');
  const tags = Object.fromEntries(SERVICE_NAMES.map((service) => [service, imageTag(srcs, service)]));
  const own: StackConfigOverrides = { loadBalancer: { address }, images: { tags } };
  // The one resolution of this run's configuration: setup's own decisions under the user's settings.
  const config = namingSource(source, () => resolveStackConfig(own, user));
  const before = rememberedNamespace(inputs.stateDir);
  if (before !== undefined && before !== config.namespace) {
    throw new SetupInputError('namespace', config.namespace, `the namespace this stack lives in ("${before}"); to move it, run ./setup.sh delete first (it deletes the data), then ./setup.sh up`);
  }
  return { config, user, own, tags };
}

/** The Secrets as manifests (values base64-encoded, as the API stores them), for server-side apply. */
export function secretManifests(secretsDir: string, config: StackConfig): string {
  return Object.values(stackSecrets(config)).map((secret) => JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secret.name, namespace: config.namespace, labels: { 'app.kubernetes.io/part-of': STACK_NAME } },
    type: secret.type,
    data: Object.fromEntries(Object.entries(secretData(secretsDir, secret)).map(([key, value]) => [key, value.toString('base64')])),
  })).map((json) => `---\n${json}\n`).join('');
}

/**
 * The storage of `config` against what was deployed: a change the cluster cannot make is refused.
 * The cluster is asked (`live`) only when there is a change.
 */
export async function checkStorage(stateDir: string, config: StackConfig, live: () => Promise<LiveClaims>): Promise<void> {
  const deployed = deployedStorage(statePaths(stateDir).deployedStorage);
  if (deployed === undefined) return;
  const next = storageSettings(config);
  const offline = storageVerdict(deployed, next);
  if (offline.refused.length === 0 && offline.unknown.length === 0) return;
  const { refused } = storageVerdict(deployed, next, await live());
  if (refused.length > 0) throw new StorageChangeError(refused);
}

/**
 * Validates every input, the storage against what the cluster holds included, then writes `.ft/`:
 * settings, credentials, Secret checksums, the manifests and the storage being applied.
 */
export async function prepare(inputs: SetupInputs, live: (namespace: string) => Promise<LiveClaims>): Promise<Prepared> {
  const { config: resolved, user, own, tags } = resolveRun(inputs);
  await checkStorage(inputs.stateDir, resolved, () => live(resolved.namespace));
  const paths = statePaths(inputs.stateDir);
  // Nothing is written before this line: every input has been validated.
  fs.mkdirSync(inputs.stateDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(inputs.stateDir, 0o700);
  if (inputs.userConfigFile !== undefined) fs.writeFileSync(paths.userConfig, `${JSON.stringify(user, null, 2)}\n`);
  const credentials = ensureCredentials(paths.secrets, resolved);
  const setupConfig = { ...own, secretChecksums: secretChecksums(paths.secrets, resolved) };
  // What resolving setupConfig under the user's settings gives: the checksums setup computed
  // (well-formed by construction), under any the user set.
  const config: StackConfig = { ...resolved, secretChecksums: { ...setupConfig.secretChecksums, ...resolved.secretChecksums } };
  fs.writeFileSync(paths.setupConfig, `${JSON.stringify(setupConfig, null, 2)}\n`);
  synthesize(config, paths.manifests);
  fs.writeFileSync(paths.secretsManifest, secretManifests(paths.secrets, config), { mode: 0o600 });
  fs.writeFileSync(paths.applyingStorage, `${JSON.stringify(storageSettings(config), null, 2)}\n`);
  return { config, tags, credentials, paths };
}

/** The charts, synthesized in this process into `outdir` (the same files `cdk8s synth` writes). */
export function synthesize(config: StackConfig, outdir: string): void {
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true, mode: 0o700 });
  const app = new App({ outdir });
  buildApp(app, config);
  app.synth();
}

/** The lines `setup.sh` reads after `ft prepare`: `KEY VALUE…`, one fact a line. */
export function preparedLines(prepared: Prepared): string {
  const { config, tags, credentials, paths } = prepared;
  const secretsDir = paths.secrets;
  return [
    `namespace ${config.namespace}`,
    `mode ${config.loadBalancer.mode}`,
    `address ${config.loadBalancer.address}`,
    ...Object.entries(tags).map(([service, tag]) => `image ${service} ${tag}`),
    `manifests ${paths.manifests}`,
    `storage ${paths.applyingStorage} ${paths.deployedStorage}`,
    `autoscaling ${autoscalingEnabled(config) ? 'on' : 'off'}`,
    ...(credentials.newCertificate ? [`note new TLS certificate for ${config.loadBalancer.address}`] : []),
    `note credentials in ${secretsDir} (${credentials.created} new values; ./setup.sh credentials shows them)`,
    `note manifests in ${paths.manifests}`,
    ...summary(config, secretsDir).split('\n').map((line) => `summary ${line}`),
  ].join('\n');
}

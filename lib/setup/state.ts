/**
 * The settings a stack was set up with (B13): `./setup.sh up` remembers them in `.ft/`, and every
 * later command (check, credentials, delete, status) uses them, so a stack made with
 * `--config mine.json` is checked and deleted as that stack, never as the defaults. This module
 * loads no chart: `validate` and the read-only commands stay quick.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { isIPv4, resolveStackConfig, StackConfig, StackConfigError, StackConfigOverrides } from '../config';
import { SecretSpec } from '../secrets';
import { readOverrides } from './config-files';
import { deployedStorage, storageSettings, storageVerdict } from './storage';

/** The files of the state folder (`.ft/`). */
export function statePaths(stateDir: string) {
  return {
    userConfig: path.join(stateDir, 'user-config.json'),
    setupConfig: path.join(stateDir, 'config.json'),
    secrets: path.join(stateDir, 'secrets'),
    manifests: path.join(stateDir, 'manifests'),
    secretsManifest: path.join(stateDir, 'manifests', 'ft-services-secrets.k8s.yaml'),
    /** The storage settings of this run, which setup.sh moves to `deployedStorage` once the apply succeeded. */
    applyingStorage: path.join(stateDir, 'applying-storage.json'),
    /** The storage settings the stack was last deployed with (lib/setup/storage.ts). */
    deployedStorage: path.join(stateDir, 'deployed-storage.json'),
  };
}

/** An input setup was given that it cannot use; the message names it, its value and what is allowed. */
export class SetupInputError extends Error {
  constructor(readonly input: string, value: unknown, allowed: string) {
    super(`${input} is ${JSON.stringify(value)}; allowed: ${allowed}`);
    this.name = 'SetupInputError';
  }
}

/** The state folder is missing, or does not match what the user asks. */
export class SetupStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetupStateError';
  }
}

/**
 * The configuration the stack was set up with. A `--config` file given now must hold the same
 * settings: a command other than `up` never mixes a new file with a stack made from another.
 */
export function rememberedConfig(stateDir: string, configFile?: string): StackConfig {
  const paths = statePaths(stateDir);
  if (!fs.existsSync(paths.setupConfig)) throw new SetupStateError(`no settings in ${stateDir} yet: run ./setup.sh first`);
  const remembered = fs.existsSync(paths.userConfig) ? readOverrides(paths.userConfig) : {};
  if (configFile !== undefined && !isDeepStrictEqual(readOverrides(configFile), remembered)) {
    throw new SetupStateError(`${configFile} is not the configuration this stack was set up with (${fs.existsSync(paths.userConfig) ? paths.userConfig : 'the defaults'}). `
      + `To change the stack, run ./setup.sh up --config ${configFile}; to act on the stack as it is, leave --config out.`);
  }
  return resolveStackConfig(readOverrides(paths.setupConfig), remembered);
}

/** The facts `delete` needs, one `KEY VALUE` a line. */
export function settingsLines(config: StackConfig): string {
  return [`namespace ${config.namespace}`, `mode ${config.loadBalancer.mode}`, `address ${config.loadBalancer.address}`].join('\n');
}

/** One key of one Secret, as setup generated it. */
export function readCredential(stateDir: string, secret: SecretSpec, key = secret.keys[0].key): string {
  const file = path.join(statePaths(stateDir).secrets, secret.name, key);
  if (!fs.existsSync(file)) throw new SetupStateError(`missing credential ${file}: run ./setup.sh to generate it`);
  return fs.readFileSync(file, 'utf8').trim();
}

/** The user's settings: the file given now, else the one remembered in `.ft/`, else none. */
export function userOverrides(stateDir: string, file?: string): { overrides: StackConfigOverrides; source?: string } {
  const remembered = statePaths(stateDir).userConfig;
  const source = file ?? (fs.existsSync(remembered) ? remembered : undefined);
  return { overrides: source === undefined ? {} : readOverrides(source), source };
}

/** `resolve()`, whose configuration errors name `source`, the user's file the wrong value came from. */
export function namingSource<T>(source: string | undefined, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof StackConfigError && source !== undefined) throw new StackConfigError(error.field, error.value, `${error.allowed} (in ${source})`);
    throw error;
  }
}

/** Validates the user's settings alone (no cluster needed); the message names the file. */
export function validateUserConfig(stateDir: string, file?: string): { config: StackConfig; source?: string } {
  const { overrides, source } = userOverrides(stateDir, file);
  return { config: namingSource(source, () => resolveStackConfig(overrides)), source };
}

/**
 * `./setup.sh validate`: the user's settings and FT_LB_ADDRESS, checked without a cluster, and the
 * storage settings against those the stack was deployed with (what only the cluster can tell is noted).
 */
export function validateRun(stateDir: string, file: string | undefined, lbAddress: string | undefined): string {
  const { config, source } = validateUserConfig(stateDir, file);
  if (lbAddress !== undefined && lbAddress !== '' && !isIPv4(lbAddress)) throw new SetupInputError('FT_LB_ADDRESS', lbAddress, LB_ADDRESS_ALLOWED);
  const deployed = deployedStorage(statePaths(stateDir).deployedStorage);
  const { refused, unknown } = deployed === undefined ? { refused: [], unknown: [] } : storageVerdict(deployed, storageSettings(config));
  if (refused.length > 0) {
    // Without a cluster the record is all there is: a cluster removed by hand took the claims along.
    throw new StorageChangeError([...refused.slice(0, -1), `${refused[refused.length - 1]}. (Compared with what setup last deployed, `
      + `${statePaths(stateDir).deployedStorage}; if that cluster is gone, e.g. after minikube delete, remove the file.)`]);
  }
  return [`${source ?? 'the default settings'}: valid (namespace ${config.namespace}, load balancer ${config.loadBalancer.mode}${lbAddress ? ` at ${lbAddress}` : ''})`,
    ...unknown.map((note) => `note: ${note}`)].join('\n');
}

/** Storage settings the deployed stack cannot take (lib/setup/storage.ts); one sentence each. */
export class StorageChangeError extends Error {
  constructor(readonly refused: readonly string[]) {
    super(refused.join('\nerror: '));
    this.name = 'StorageChangeError';
  }
}

export const LB_ADDRESS_ALLOWED = 'an IPv4 address in the node\'s network, such as 192.168.49.240';

/** The namespace the stack lives in now, if setup made it: a new one would leave the old one running. */
export function rememberedNamespace(stateDir: string): string | undefined {
  const paths = statePaths(stateDir);
  if (!fs.existsSync(paths.setupConfig)) return undefined;
  try {
    return resolveStackConfig(readOverrides(paths.setupConfig), fs.existsSync(paths.userConfig) ? readOverrides(paths.userConfig) : {}).namespace;
  } catch {
    return undefined;
  }
}

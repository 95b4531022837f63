/**
 * The TypeScript side of ./setup.sh: one call per command (B13). It reads the same typed
 * configuration as the chart, so the script never keeps a second copy of the chart's lists.
 *
 *   ft validate [--config FILE]            check the user's settings (and FT_LB_ADDRESS), the storage against
 *                                          what was deployed; needs no cluster
 *   ft prepare [--config FILE] [--node-ip IP]
 *                                          validate everything (a storage change against the cluster's
 *                                          claims), then write .ft/ (settings, credentials, Secret
 *                                          checksums, manifests); prints the lines setup.sh reads
 *   ft settings [--config FILE]            the remembered settings: namespace, mode, address
 *   ft summary | credentials | status | check
 *                                          where everything is; every login; each service's pods; the
 *                                          pass/fail table of every S requirement (exit 1 on a failure)
 *   ft docs [--check]                      regenerate the README's settings reference and diagram
 *
 * Every command takes --state DIR (default .ft/ of the repository). FT_LB_ADDRESS is the address the
 * user chose; FT_KUBECTL names the kubectl command (default `kubectl`; e.g. `minikube kubectl --`).
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { StackConfigError } from '../lib/config';
import type { Kubectl } from '../lib/probes/cluster';
import { ConfigFileError } from '../lib/setup/config-files';
import { SetupInputError, SetupStateError, StorageChangeError } from '../lib/setup/state';

import type * as PrepareModule from '../lib/setup/prepare';
import type * as StateModule from '../lib/setup/state';
import type * as StorageModule from '../lib/setup/storage';
import type * as ReportModule from '../lib/setup/report';
import type * as StatusModule from '../lib/setup/status';
import type * as CheckModule from '../lib/setup/check';
import type * as SecretsModule from '../lib/secrets';
import type * as DocsModule from '../lib/setup/docs';

const ROOT = path.resolve(__dirname, '..');

/** A module loaded when a command needs it: a prepare must not compile the probes, nor a validate the chart. */
function load<T>(module: string): T {
  return require(module) as T; // eslint-disable-line @typescript-eslint/no-require-imports
}

interface Options { readonly state: string; readonly config?: string; readonly nodeIp?: string; readonly check: boolean }

function parseOptions(args: readonly string[]): Options {
  let state = path.join(ROOT, '.ft');
  let config: string | undefined;
  let nodeIp: string | undefined;
  let check = false;
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      if (i + 1 >= args.length) throw new SetupInputError(args[i], undefined, 'a value after it');
      return args[++i];
    };
    switch (args[i]) {
      case '--state': state = value(); break;
      case '--config': config = value(); break;
      case '--node-ip': nodeIp = value(); break;
      case '--check': check = true; break;
      default: throw new SetupInputError('the argument', args[i], '--state DIR, --config FILE, --node-ip IP, --check');
    }
  }
  return { state, config, nodeIp, check };
}

function kubectlFromEnvironment(): Kubectl {
  const [command, ...prefix] = (process.env.FT_KUBECTL ?? 'kubectl').split(' ').filter((word) => word !== '');
  return (args) => new Promise((resolve, reject) => {
    execFile(command, [...prefix, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 600000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  const options = parseOptions(args);
  switch (command) {
    case 'validate': {
      const { validateRun } = load<typeof StateModule>('../lib/setup/state');
      print(validateRun(options.state, options.config, process.env.FT_LB_ADDRESS));
      return 0;
    }
    case 'prepare': {
      const { prepare, preparedLines } = load<typeof PrepareModule>('../lib/setup/prepare');
      const { readLiveClaims } = load<typeof StorageModule>('../lib/setup/storage');
      const prepared = await prepare({ root: ROOT, stateDir: options.state, userConfigFile: options.config, lbAddress: process.env.FT_LB_ADDRESS, nodeIp: options.nodeIp },
        (namespace) => readLiveClaims(kubectlFromEnvironment(), namespace));
      print(preparedLines(prepared));
      return 0;
    }
    case 'settings': {
      const { rememberedConfig, settingsLines } = load<typeof StateModule>('../lib/setup/state');
      print(settingsLines(rememberedConfig(options.state, options.config)));
      return 0;
    }
    case 'summary': {
      const { rememberedConfig } = load<typeof StateModule>('../lib/setup/state');
      const { summary } = load<typeof ReportModule>('../lib/setup/report');
      print(summary(rememberedConfig(options.state, options.config), path.join(options.state, 'secrets')));
      return 0;
    }
    case 'credentials': {
      const { rememberedConfig, readCredential } = load<typeof StateModule>('../lib/setup/state');
      const { credentials } = load<typeof ReportModule>('../lib/setup/report');
      print(credentials(rememberedConfig(options.state, options.config), (secret, key) => readCredential(options.state, secret, key)));
      return 0;
    }
    case 'status': {
      const { rememberedConfig } = load<typeof StateModule>('../lib/setup/state');
      const { status } = load<typeof StatusModule>('../lib/setup/status');
      print(await status(rememberedConfig(options.state, options.config), path.join(options.state, 'secrets'), kubectlFromEnvironment(), process.env.FT_KUBECTL ?? 'kubectl'));
      return 0;
    }
    case 'check': {
      const { rememberedConfig, readCredential } = load<typeof StateModule>('../lib/setup/state');
      const { checkExitCode, formatResult, formatSummary, runChecks, stackChecks } = load<typeof CheckModule>('../lib/setup/check');
      const { stackSecrets } = load<typeof SecretsModule>('../lib/secrets');
      const config = rememberedConfig(options.state, options.config);
      const secret = (spec: Parameters<typeof readCredential>[1], key?: string) => readCredential(options.state, spec, key);
      const checks = stackChecks({ config, secret, kubectl: kubectlFromEnvironment(), trust: { ca: secret(stackSecrets(config).tls, 'tls.crt') } });
      const results = await runChecks(checks, (result) => print(formatResult(result)));
      print(`\n${formatSummary(results)}`);
      return checkExitCode(results);
    }
    case 'docs': {
      const { updateReadme } = load<typeof DocsModule>('../lib/setup/docs');
      const stale = updateReadme(path.join(ROOT, 'README.md'), !options.check);
      if (options.check && stale) {
        process.stderr.write('README.md is stale: run npm run docs\n');
        return 1;
      }
      return 0;
    }
    default:
      process.stderr.write('usage: ft validate | prepare | settings | summary | credentials | status | check | docs [--state DIR] [--config FILE]\n');
      return 2;
  }
}

/** Errors a user can fix print as one line, without a stack trace; anything else keeps its trace. */
function report(error: unknown): string {
  if ([StackConfigError, ConfigFileError, SetupInputError, SetupStateError, StorageChangeError].some((type) => error instanceof type)) return (error as Error).message;
  return error instanceof Error ? error.stack ?? error.message : String(error);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    process.stderr.write(`error: ${report(error)}\n`);
    process.exitCode = 1;
  });
}

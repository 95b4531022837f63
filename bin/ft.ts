/**
 * The TypeScript side of ./setup.sh: it reads the same typed configuration as the chart
 * (FT_SERVICES_CONFIG), so the script never keeps a second copy of the chart's lists.
 *
 *   ft plan [SRCS]                  the services, Secrets and address, one fact a line; with SRCS,
 *                                   also `image SERVICE TAG` with each image's content-hash tag
 *   ft image-tag SRCS SERVICE       the content-hash tag of a service's image
 *   ft summary SECRETS_DIR          where everything is, and where the credentials are
 *   ft credentials SECRETS_DIR      every login with its password
 *   ft check SECRETS_DIR            the pass/fail table of every S requirement (exit 1 on a failure)
 *
 * FT_KUBECTL names the kubectl command for `check` (default `kubectl`; e.g. `minikube kubectl --`).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkExitCode, formatResult, formatSummary, runChecks, stackChecks } from '../lib/setup/check';
import { Kubectl } from '../lib/probes/cluster';
import { SecretSpec, stackSecrets } from '../lib/secrets';
import { configFromEnvironment } from '../lib/setup/config-files';
import { imageTag } from '../lib/setup/image-tags';
import { deployPlan } from '../lib/setup/plan';
import { credentials, summary } from '../lib/setup/report';

function readSecret(dir: string, secret: SecretSpec, key = secret.keys[0].key): string {
  const file = path.join(dir, secret.name, key);
  if (!fs.existsSync(file)) throw new Error(`missing credential ${file}: run ./setup.sh first`);
  return fs.readFileSync(file, 'utf8').trim();
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

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'plan':
      process.stdout.write(deployPlan(configFromEnvironment(), args[0]));
      return 0;
    case 'image-tag':
      process.stdout.write(`${imageTag(args[0], args[1])}\n`);
      return 0;
    case 'summary':
      process.stdout.write(`${summary(configFromEnvironment(), args[0])}\n`);
      return 0;
    case 'credentials':
      process.stdout.write(`${credentials(configFromEnvironment(), (secret, key) => readSecret(args[0], secret, key))}\n`);
      return 0;
    case 'check': {
      const config = configFromEnvironment();
      const secretsDir = args[0];
      const secrets = stackSecrets(config);
      const checks = stackChecks({
        config,
        secret: (secret, key) => readSecret(secretsDir, secret, key),
        kubectl: kubectlFromEnvironment(),
        trust: { ca: readSecret(secretsDir, secrets.tls, 'tls.crt') },
      });
      const results = await runChecks(checks, (result) => process.stdout.write(`${formatResult(result)}\n`));
      process.stdout.write(`\n${formatSummary(results)}\n`);
      return checkExitCode(results);
    }
    default:
      process.stderr.write('usage: ft plan | image-tag SRCS SERVICE | summary DIR | credentials DIR | check DIR\n');
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    process.stderr.write(`ft: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}

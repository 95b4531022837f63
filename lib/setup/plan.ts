/**
 * What `./setup.sh` needs to know of the stack, as lines a shell script reads with `read`: the
 * chart's own lists (services, Secrets), so the script never carries a second copy of them.
 */
import { SERVICE_NAMES, StackConfig } from '../config';
import { stackSecrets } from '../secrets';

/**
 * One fact a line: `namespace NAME`, `address IP`, `mode metallb|external`, `service NAME`,
 * `secret NAME TYPE KEY GENERATOR`.
 */
export function deployPlan(config: StackConfig): string {
  const lines = [
    `namespace ${config.namespace}`,
    `address ${config.loadBalancer.address}`,
    `mode ${config.loadBalancer.mode}`,
    ...SERVICE_NAMES.map((service) => `service ${service}`),
    ...Object.values(stackSecrets(config)).flatMap((secret) => secret.keys.map((key) => `secret ${secret.name} ${secret.type} ${key.key} ${key.generate}`)),
  ];
  return `${lines.join('\n')}\n`;
}

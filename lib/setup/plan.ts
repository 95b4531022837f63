/**
 * What `./setup.sh` needs to know of the stack, as lines a shell script reads with `read`: the
 * chart's own lists (services, Secrets), so the script never carries a second copy of them.
 */
import { SERVICE_NAMES, StackConfig } from '../config';
import { stackSecrets } from '../secrets';
import { imageTag } from './image-tags';

/**
 * One fact a line: `namespace NAME`, `address IP`, `mode metallb|external`, `service NAME`,
 * `secret NAME TYPE KEY GENERATOR` and, given the `srcs` folder, `image SERVICE TAG`.
 */
export function deployPlan(config: StackConfig, srcs?: string): string {
  const lines = [
    `namespace ${config.namespace}`,
    `address ${config.loadBalancer.address}`,
    `mode ${config.loadBalancer.mode}`,
    ...SERVICE_NAMES.map((service) => `service ${service}`),
    ...Object.values(stackSecrets(config)).flatMap((secret) => secret.keys.map((key) => `secret ${secret.name} ${secret.type} ${key.key} ${key.generate}`)),
    ...(srcs === undefined ? [] : SERVICE_NAMES.map((service) => `image ${service} ${imageTag(srcs, service)}`)),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * K6 B7 K7: what kind of service a StackService is, checked by the compiler, not at synth time.
 * Nothing here runs: `npm run typecheck` fails when one of the expected errors no longer is one.
 */
import { Construct } from 'constructs';
import { resolveStackConfig } from '../../lib/config';
import { configuredService, dataVolume, StackService, StackServiceProps } from '../../lib/stack-service';

const config = resolveStackConfig();
const liveness = { kind: 'exec', command: ['true'] } as const;
const common = { component: 'test', ports: [], liveness, checks: { processToKill: 'true' }, capabilities: {}, rootFilesystem: { readOnly: false, because: 'a test' } as const };

export function statefulServiceNeedsItsVolume(scope: Construct): void {
  // @ts-expect-error mysql is a stateful service: without a volume it does not compile (K6).
  new StackService(scope, 'NoVolume', { ...configuredService(config, 'mysql', 'ClusterIP'), ...common });
  new StackService(scope, 'WithVolume', { ...configuredService(config, 'mysql', 'ClusterIP'), ...common, volume: dataVolume(config, 'mysql', '/data') });
}

export function onlyStatefulServicesHaveAVolume(scope: Construct): void {
  // @ts-expect-error nginx keeps no state: a volume on it does not compile (K6).
  new StackService(scope, 'Volume', { ...configuredService(config, 'nginx', 'LoadBalancer'), ...common, volume: dataVolume(config, 'mysql', '/data') });
}

export function statefulServicesDoNotScale(): StackServiceProps {
  // @ts-expect-error a ReadWriteOnce volume is mounted by one pod: replicas do not compile on a stateful service (K6, B7).
  return { ...configuredService(config, 'ftps', 'LoadBalancer'), ...common, volume: dataVolume(config, 'ftps', '/data'), replicas: 2 };
}

export function daemonSetsAreDeclared(): StackServiceProps {
  // @ts-expect-error telegraf runs on every node (K7): it must say workload 'daemonset'.
  return { ...configuredService(config, 'telegraf', 'none'), ...common };
}

export function capabilitiesAreStated(): StackServiceProps {
  const { capabilities: _none, ...withoutCapabilities } = common;
  // @ts-expect-error every service states the capabilities it keeps, even none (B15).
  return { ...configuredService(config, 'nginx', 'LoadBalancer'), ...withoutCapabilities };
}

export function capabilitiesAreKnownNames(): StackServiceProps {
  // @ts-expect-error a capability is one of Linux's, by its name without CAP_ (B15).
  return { ...configuredService(config, 'nginx', 'LoadBalancer'), ...common, capabilities: { CAP_CHOWN: 'the entrypoint chowns' } };
}

/**
 * B15 least privilege on the real cluster (issue 18 points 1 and 3): with a stack of its own, every
 * container keeps exactly the capabilities its module names (lib/services/<name>.ts, applied by
 * lib/stack-service.ts), as the kernel shows them in each of its processes, and serves with them
 * (`./setup.sh check` passes); the containers the chart puts on a read-only root filesystem cannot
 * write there, but can in the folders their modules name (emptyDir volumes). Restarts with these capabilities are stack.test.ts's S11 proofs, which run on the
 * same chart. Runs last (test/cluster/support/sequencer.cjs).
 */
import { capabilitiesOfMask, Capability, capabilityList } from '../../lib/capabilities';
import { SERVICE_NAMES, StackConfig } from '../../lib/config';
import { rememberedConfig } from '../../lib/setup/state';
import { StackService } from '../../lib/stack-service';
import { stackServices } from '../support/model';
import { checkRows, kubectl, kubectlJson, requireClusterAccess, Setup, SetupRun } from './support/cluster';

const setup = new Setup('least-privilege');
let config: StackConfig;
let services: readonly StackService[];

interface Pod {
  metadata: { name: string; labels: Record<string, string> };
  spec: { containers: Array<{ name: string; securityContext?: { readOnlyRootFilesystem?: boolean; capabilities?: { add?: string[]; drop?: string[] } } }> };
  status: { phase: string };
}

/** The running pod of `service` (one per service in this stack). */
async function podOf(service: string): Promise<Pod> {
  const pods = (await kubectlJson<{ items: Pod[] }>(['-n', config.namespace, 'get', 'pods', '-l', `app.kubernetes.io/name=${service}`])).items;
  return pods.find((pod) => pod.status.phase === 'Running')!;
}

const exec = (pod: Pod, script: string) => kubectl(['-n', config.namespace, 'exec', pod.metadata.name, '-c', pod.spec.containers[0].name, '--', 'sh', '-c', script]);

interface Proc { readonly pid: string; readonly name: string; readonly uid: number; readonly bounding: Capability[]; readonly effective: Capability[] }

/** Every process of the container, from its own /proc (proc(5): Uid's second field is the effective user). */
async function processes(pod: Pod): Promise<Proc[]> {
  const status = await exec(pod, 'for f in /proc/[0-9]*/status; do cat "$f" 2>/dev/null; done; true');
  return status.split(/^(?=Name:)/m).filter((block) => block.startsWith('Name:')).map((block) => {
    const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(block)?.[1] ?? '';
    return {
      pid: field('Pid'), name: field('Name'), uid: Number(field('Uid').split(/\s+/)[1]),
      bounding: capabilitiesOfMask(field('CapBnd')), effective: capabilitiesOfMask(field('CapEff')),
    };
  });
}

function expectSucceeded(ran: SetupRun, what: string): void {
  const tail = ran.status === 0 ? '' : ran.output.split('\n').slice(-40).join('\n');
  expect({ what, status: ran.status, tail }).toEqual({ what, status: 0, tail: '' });
}

beforeAll(async () => {
  requireClusterAccess();
  const namespaces = (await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['get', 'namespaces'])).items.map((item) => item.metadata.name);
  expect(namespaces).not.toContain('ft-services');
});

afterAll(() => setup.cleanUp());

test('B15 ./setup.sh brings every container up with the capabilities and root filesystems the chart gives it', async () => {
  expectSucceeded(await setup.run(), './setup.sh');
  config = rememberedConfig(setup.stateDir);
  services = stackServices(config);
  expect(services.map((service) => service.name)).toEqual([...SERVICE_NAMES]);
  for (const service of services) {
    const { securityContext } = (await podOf(service.name)).spec.containers[0];
    const add = capabilityList(service.capabilities);
    expect({ service: service.name, capabilities: securityContext?.capabilities }).toEqual({ service: service.name, capabilities: { drop: ['ALL'], ...(add.length > 0 ? { add } : {}) } });
  }
});

test('B6 B15 ./setup.sh check passes every row with exactly those capabilities', async () => {
  const check = await setup.run('check');
  const rows = checkRows(check.stdout);
  expect(rows.length).toBeGreaterThan(30);
  expect(rows.filter((row) => !row.ok)).toEqual([]);
  expect(check.status).toBe(0);
});

test('B15 each container\'s processes hold only its listed capabilities: that bounding set in every one, those effective for root, none for another user', async () => {
  for (const service of services) {
    const list = capabilityList(service.capabilities);
    const procs = await processes(await podOf(service.name));
    // The container's first process holds the whole list when it runs as root, none as a user.
    const first = procs.find((proc) => proc.pid === '1')!;
    expect({ service: service.name, first: first.effective }).toEqual({ service: service.name, first: first.uid === 0 ? list : [] });
    for (const proc of procs) {
      const seen = { service: service.name, process: proc.name, uid: proc.uid, bounding: proc.bounding, beyondList: proc.effective.filter((cap) => !list.includes(cap)) };
      expect(seen).toEqual({ ...seen, bounding: list, beyondList: [] });
      if (proc.uid !== 0) expect({ ...seen, effective: proc.effective }).toEqual({ ...seen, effective: [] });
    }
  }
});

test('B15 a write to the root filesystem fails in each container the chart puts on a read-only one, and each of its writable folders takes one', async () => {
  const readOnly = services.filter((service) => service.rootFilesystem.readOnly);
  expect(readOnly.map((service) => service.name)).toContain('telegraf');
  for (const service of readOnly) {
    const pod = await podOf(service.name);
    expect(pod.spec.containers[0].securityContext?.readOnlyRootFilesystem).toBe(true);
    const probe = (folder: string) => exec(pod, `f=${folder}/ft-least-privilege-probe; if echo probe > $f; then rm -f $f; echo wrote; else echo refused; fi 2>&1`).then((out) => out.trim());
    expect({ service: service.name, root: await probe('') }).toEqual({ service: service.name, root: expect.stringMatching(/Read-only file system[\s\S]*refused$/) });
    const folders = service.rootFilesystem.readOnly ? Object.values(service.rootFilesystem.writable) : [];
    for (const { path } of folders) expect({ service: service.name, path, wrote: await probe(path) }).toEqual({ service: service.name, path, wrote: 'wrote' });
  }
});

test('S1 ./setup.sh delete removes the stack', async () => {
  expectSucceeded(await setup.run('delete', '--yes'), './setup.sh delete --yes');
}, 600_000);

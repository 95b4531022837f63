/**
 * What the proofs on the real cluster (issue 17, B14) share: the project's paths, `./setup.sh` run
 * as a user runs it (from the user's namespace, with the CI minikube and kubectl on PATH), kubectl
 * for the probes of lib/probes, commands inside the node, and the figures the run prints.
 *
 * The jest process itself runs in the user's network namespace (`npm run test:cluster` goes through
 * `.ci/cluster/user`), so every address below is reached from the user's machine.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kubectl } from '../../../lib/probes/cluster';
import { CLUSTER_SCRIPTS } from './minikube-shim';

export const ROOT = path.resolve(__dirname, '../../..');
export const OUTPUT = path.join(ROOT, 'test-output', 'cluster');
/** The kubectl context setup.sh uses: minikube's profile name, which `.ci/cluster/up` names its context. */
export const CONTEXT = 'minikube';
/** The MetalLB release setup.sh pins, as the local file CI gives it instead of the URL. */
export const METALLB_MANIFEST = path.join(ROOT, 'data', 'metallb', 'metallb-native-v0.16.1.yaml');

/** Fails at once, naming what to do, when the test is not run the way `npm run test:cluster` runs it. */
export function requireClusterAccess(): void {
  if (!process.env.KUBECONFIG) throw new Error('KUBECONFIG is not set: run the cluster proofs with npm run test:cluster (it goes through .ci/cluster/user), after .ci/cluster/up');
}

export interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (spawn, not spawnSync: jest's timers and other promises keep running). */
export function run(program: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; log?: string; input?: string; cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    // No stdin unless there is input: a program that exits before reading it made the write fail (EPIPE).
    const child = spawn(program, [...args], { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const log = options.log ? fs.createWriteStream(options.log) : undefined;
    child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk; log?.write(chunk); });
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk; log?.write(chunk); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const done = () => resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr });
      // The log is whole on disk before the caller reads it.
      if (log) log.end(done);
      else done();
    });
    child.stdin?.end(options.input);
  });
}

/** kubectl on the cluster, for the probes (rejects with kubectl's message when it fails). */
export const kubectl: Kubectl = async (args) => {
  const ran = await run('kubectl', ['--context', CONTEXT, ...args]);
  if (ran.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${ran.status}): ${ran.stderr.trim()}`);
  return ran.stdout;
};

export async function kubectlJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

/** A command inside the node (its network, mount and PID namespaces): `.ci/cluster/node`. */
export async function onNode(args: readonly string[]): Promise<string> {
  const ran = await run(path.join(CLUSTER_SCRIPTS, 'node'), args);
  if (ran.status !== 0) throw new Error(`on the node: ${args.join(' ')} failed (${ran.status}): ${ran.stderr.trim()}`);
  return ran.stdout;
}

/** A process of a container, seen from the node: its PID there, and its PID in the container. */
export interface Proc { readonly hostPid: number; readonly ppid: number; readonly containerPid: number; readonly name: string }

/** The container's processes: those whose cgroup names the container (the node's cgroupfs paths end in its ID). */
export async function processes(containerId: string): Promise<Proc[]> {
  const script = 'for d in /proc/[0-9]*; do grep -qs "$1" "$d/cgroup" && printf "%s %s %s %s\\n" "${d#/proc/}" ' +
    '"$(sed -n "s/^PPid:[[:space:]]*//p" "$d/status")" "$(sed -n "s/^NSpid:.*[[:space:]]//p" "$d/status")" "$(cat "$d/comm")"; done; true';
  return (await onNode(['sh', '-c', script, 'sh', containerId])).split('\n').filter(Boolean).map((line) => {
    const [hostPid, ppid, containerPid, name] = line.split(' ');
    return { hostPid: Number(hostPid), ppid: Number(ppid), containerPid: Number(containerPid), name };
  });
}

/**
 * What run-together started in the pod's container, in order: srcs/common/run-together logs
 * "started NAME (pid N)", N in the container.
 */
export async function runTogetherStarted(namespace: string, pod: string): Promise<Array<{ name: string; pid: number }>> {
  const log = await kubectl(['-n', namespace, 'logs', pod]);
  return [...log.matchAll(/^run-together: started (\S+) \(pid (\d+)\)$/gm)].map((m) => ({ name: m[1], pid: Number(m[2]) }));
}

/** A folder on PATH holding only `minikube`, a link to the CI minikube (.ci/cluster itself would hide Node.js behind its `node`). */
function shimBin(): string {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-cluster-bin-'));
  fs.symlinkSync(path.join(CLUSTER_SCRIPTS, 'minikube'), path.join(bin, 'minikube'));
  return bin;
}

export interface SetupRun extends Ran {
  readonly seconds: number;
  readonly startedAt: number;
  /** Standard output and error as they came, interleaved (the run's log file). */
  readonly output: string;
}

/** `./setup.sh` as a user runs it, with one state folder for the whole proof (like a user's .ft/). */
export class Setup {
  readonly stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-cluster-state-'));
  private readonly bin = shimBin();
  private runs = 0;

  /** @param logPrefix names this proof's logs apart from another file's of the same run. */
  constructor(private readonly logPrefix = 'setup') {}

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${this.bin}:${process.env.PATH}`,
      FT_STATE_DIR: this.stateDir,
      FT_METALLB_URL: METALLB_MANIFEST,
      // The first start of every pod on 2 cores, with images just imported, is slower than a laptop's.
      FT_TIMEOUT: '900s',
      NO_COLOR: '1',
      CDK8S_CHECK_UPGRADE: 'false',
    };
  }

  /** Runs `./setup.sh ARGS…`; its whole output also goes to test-output/cluster/setup-N-COMMAND.log. */
  async run(...args: string[]): Promise<SetupRun> {
    fs.mkdirSync(OUTPUT, { recursive: true });
    const log = path.join(OUTPUT, `${this.logPrefix}-${++this.runs}-${args[0] ?? 'up'}.log`);
    const startedAt = Date.now();
    const ran = await run(path.join(ROOT, 'setup.sh'), args, { env: this.env, log });
    return { ...ran, startedAt, seconds: (Date.now() - startedAt) / 1000, output: fs.readFileSync(log, 'utf8') };
  }

  cleanUp(): void {
    fs.rmSync(this.bin, { recursive: true, force: true });
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** One row of `./setup.sh check`'s table (lib/setup/check.ts formatResult). */
export interface CheckRow {
  readonly requirement: string;
  readonly ok: boolean;
  readonly title: string;
  readonly detail: string;
}

/** The rows of check's output: `REQ  pass|FAIL  title`, then the detail indented on the next line. */
export function checkRows(output: string): CheckRow[] {
  const lines = output.split('\n');
  return lines.flatMap((line, i) => {
    const row = /^(\w+)\s+(pass|FAIL) {2}(.*)$/.exec(line);
    return row ? [{ requirement: row[1], ok: row[2] === 'pass', title: row[3], detail: (lines[i + 1] ?? '').trim() }] : [];
  });
}

/** Figures of the run (issue 17 point 7), printed at the end and written to test-output/cluster/figures.md. */
export class Figures {
  private readonly sections: string[] = [];

  add(title: string, rows: ReadonlyArray<readonly string[]>): void {
    const [head, ...body] = rows;
    this.sections.push([`### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((row) => `| ${row.join(' | ')} |`), ''].join('\n'));
  }

  write(): string {
    const text = `## Figures of the real-cluster run (${new Date().toISOString().slice(0, 16)}Z)\n\n${this.sections.join('\n')}`;
    fs.mkdirSync(OUTPUT, { recursive: true });
    fs.writeFileSync(path.join(OUTPUT, 'figures.md'), text);
    return text;
  }

  /** Adds these sections under `heading` to the figures an earlier file of the run wrote. */
  append(heading: string): string {
    const text = `\n## ${heading}\n\n${this.sections.join('\n')}`;
    fs.mkdirSync(OUTPUT, { recursive: true });
    fs.appendFileSync(path.join(OUTPUT, 'figures.md'), text);
    return text;
  }
}

/** Polls `condition` every `everyMs` until it holds or `timeoutMs` passed; resolves with the last value. */
export async function waitFor<T>(what: string, condition: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

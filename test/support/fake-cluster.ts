/**
 * Fake `minikube` and `kubectl` for the tests of ./setup.sh: they record every call and answer like
 * a running minikube with the docker driver, so the script's real flow runs without a cluster.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface FakeCluster {
  /** Holds the fake tools; put it first on PATH. */
  readonly bin: string;
  /** The images the fake cluster holds, one `docker.io/library/NAME:TAG` a line. */
  readonly images: string;
  /** Every call, one `minikube …` or `kubectl …` a line. */
  readonly calls: string;
  /** Everything piped into `kubectl apply -f -`. */
  readonly applied: string;
  readonly dir: string;
}

const MINIKUBE = `#!/usr/bin/env bash
echo "minikube $*" >> "$FAKE_CALLS"
args=("$@")
[[ "\${args[0]}" == -p ]] && args=("\${args[@]:2}")
case "\${args[0]} \${args[1]:-}" in
  "status "*) echo "Running Running" ;;
  "ip "*) echo 192.168.49.2 ;;
  "image ls") cat "$FAKE_IMAGES" 2>/dev/null || true ;;
  "image build")
    for ((i = 0; i < \${#args[@]}; i++)); do
      [[ "\${args[i]}" == -t ]] && echo "docker.io/library/\${args[i + 1]}" >> "$FAKE_IMAGES"
    done
    echo "Successfully built" ;;
esac
exit 0
`;

const KUBECTL = `#!/usr/bin/env bash
echo "kubectl $*" >> "$FAKE_CALLS"
case "$*" in
  *"create secret"*) printf 'apiVersion: v1\\nkind: Secret\\n' ;;
  *"label --local"*) cat ;;
  *"apply -f -"*) cat >> "$FAKE_APPLIED" ;;
  *"get deployments,daemonsets"*) printf 'deployment.apps/mysql\\ndaemonset.apps/telegraf\\n' ;;
  *"get services"*) printf 'nginx\\nwordpress\\n' ;;
esac
exit 0
`;

export function fakeCluster(): FakeCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-fake-cluster-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'minikube'), MINIKUBE, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'kubectl'), KUBECTL, { mode: 0o755 });
  return { dir, bin, images: path.join(dir, 'images'), calls: path.join(dir, 'calls'), applied: path.join(dir, 'applied') };
}

/** The environment that points setup.sh at the fakes. */
export function fakeEnvironment(fake: FakeCluster): NodeJS.ProcessEnv {
  return { FAKE_CALLS: fake.calls, FAKE_IMAGES: fake.images, FAKE_APPLIED: fake.applied };
}

export function readLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
}

/** A kubectl runner for the cluster probes (lib/probes/cluster.ts) that answers from a script. */
export interface ScriptedKubectl {
  readonly kubectl: (args: readonly string[]) => Promise<string>;
  /** Every call, its arguments joined by spaces. */
  readonly calls: string[];
}

/**
 * Answers each call with the first answer whose pattern matches the joined arguments; an answer
 * that is a function may throw, as kubectl fails. An unscripted call fails the probe.
 */
export function scriptedKubectl(answers: ReadonlyArray<readonly [RegExp, string | ((line: string) => string)]>): ScriptedKubectl {
  const calls: string[] = [];
  const kubectl = async (args: readonly string[]): Promise<string> => {
    const line = args.join(' ');
    calls.push(line);
    const hit = answers.find(([pattern]) => pattern.test(line));
    if (!hit) throw new Error(`unexpected kubectl ${line}`);
    return typeof hit[1] === 'string' ? hit[1] : hit[1](line);
  };
  return { kubectl, calls };
}

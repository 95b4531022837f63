/**
 * Fake `minikube` and `kubectl` for the tests of ./setup.sh: they record every call, keep a little
 * state (is the cluster running, is the dashboard enabled, is MetalLB installed, the speaker's
 * args) and answer in the shapes the real programs print, so the script's real flow runs without a
 * cluster. Where a shape matters, its source is named:
 *   minikube status   cmd/minikube/cmd/status.go: exit code 7 (1|2|4) when host, cluster and
 *                     Kubernetes are stopped; 85 (reason.ExGuestNotFound) for a missing profile
 *   addons list -o json  cmd/minikube/cmd/config/addons_list.go printAddonsJSON: one line,
 *                     {"<addon>":{"Profile":"<profile>","Status":"enabled|disabled"},…} (sorted keys)
 *   kubectl version --client -o json  {"clientVersion":{"major":"1","minor":"31",…},…}
 *   kubectl apply --applyset  pkg/cmd/apply/apply.go: the flag exists only with KUBECTL_APPLYSET=true
 *                     (pkg/cmd/util/helpers.go), "--applyset requires --prune", and a namespaced
 *                     parent needs -n; server-side apply prints "<kind>/<name> serverside-applied"
 *                     for every object, changed or not
 *   kubectl top pods  pkg/cmd/top/top_pod.go: "error: Metrics API not available" (exit 1) without a
 *                     metrics server; with one, the file `top-pods` of the state as its output
 *   kubectl get -f … -o custom-columns  one line per object the cluster holds, columns padded with
 *                     spaces (pkg/cmd/get/customcolumn.go); here the last column is a change mark
 *                     that moves only when an apply changed the object, as setup's field manager's
 *                     managedFields time does
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
  /** Everything `kubectl apply` was given (files and stdin). */
  readonly applied: string;
  /** The fake cluster's state: files `running`, `dashboard`, `metrics-server` (the add-ons enabled), `metallb`, `speaker-args`, `cni`, `objects`, `expandable` (its StorageClass can grow claims). */
  readonly state: string;
  readonly dir: string;
}

const MINIKUBE = `#!/usr/bin/env bash
echo "minikube $*" >> "$FAKE_CALLS"
args=("$@")
[[ "\${args[0]}" == -p ]] && { profile=\${args[1]}; args=("\${args[@]:2}"); }
state=$FAKE_STATE
case "\${args[0]} \${args[1]:-}" in
  "status "*)
    if [[ -f "$state/running" ]]; then echo "Running Running"; else echo "Stopped Stopped"; exit 7; fi ;;
  "start "*)
    [[ -z "\${FAKE_START_FAILS:-}" ]] || { echo "X Exiting due to DRV_NOT_HEALTHY: Found driver(s) but none were healthy." >&2; exit 56; }
    touch "$state/running"
    for a in "\${args[@]}"; do [[ "$a" == --cni=* ]] && echo "\${a#--cni=}" > "$state/cni"; done
    echo "Done! kubectl is now configured to use \\"\${profile:-minikube}\\" cluster" ;;
  "ip "*) [[ -f "$state/running" ]] || { echo "The control-plane node minikube host is not running" >&2; exit 85; }; echo 192.168.49.2 ;;
  "addons list")
    d=disabled; [[ -f "$state/dashboard" ]] && d=enabled
    m=disabled; [[ -f "$state/metrics-server" ]] && m=enabled
    printf '{"dashboard":{"Profile":"%s","Status":"%s"},"default-storageclass":{"Profile":"%s","Status":"enabled"},"metallb":{"Profile":"%s","Status":"disabled"},"metrics-server":{"Profile":"%s","Status":"%s"},"storage-provisioner":{"Profile":"%s","Status":"enabled"}}\\n' "\${profile:-minikube}" "$d" "\${profile:-minikube}" "\${profile:-minikube}" "\${profile:-minikube}" "$m" "\${profile:-minikube}" ;;
  "addons enable") touch "$state/\${args[2]}"; echo "The '\${args[2]}' addon is enabled" ;;
  "addons disable") rm -f "$state/\${args[2]}"; echo "The '\${args[2]}' addon is disabled" ;;
  "image ls") cat "$FAKE_IMAGES" 2>/dev/null || true ;;
  "image build")
    for ((i = 0; i < \${#args[@]}; i++)); do
      [[ "\${args[i]}" == -t ]] && echo "docker.io/library/\${args[i + 1]}" >> "$FAKE_IMAGES"
    done
    echo "Successfully built" ;;
  "image rm") ;;
esac
exit 0
`;

const KUBECTL = `#!/usr/bin/env bash
echo "kubectl $*" >> "$FAKE_CALLS"
state=$FAKE_STATE
namespace="" applyset="" prune="" files=()
for ((i = 1; i <= $#; i++)); do
  case "\${!i}" in
    -n) j=$((i + 1)); namespace=\${!j} ;;
    --applyset=*) applyset=\${!i#--applyset=} ;;
    --applyset) echo "error: unknown flag: --applyset" >&2; exit 1 ;;
    --prune) prune=1 ;;
    -f) j=$((i + 1)); files+=("\${!j}") ;;
  esac
done
# "Kind/name<TAB>text" for each object of the files: YAML documents, or one JSON object a line.
objects_in() {
  awk 'function flush() { if (key != "") print key "\\t" text; key = ""; text = ""; kind = "" }
       /^[{]/ { flush(); match($0, /"kind":"[A-Za-z]+"/); k = substr($0, RSTART + 8, RLENGTH - 9)
                match($0, /"name":"[^"]+"/); print k "/" substr($0, RSTART + 8, RLENGTH - 9) "\\t" $0; next }
       /^---/ { flush(); next }
       /^kind: / { kind = $2 }
       kind != "" && key == "" && /^  name: / { key = kind "/" $2 }
       { text = text $0 "\\001" }
       END { flush() }' "$@"
}
case "$*" in
  *"version --client -o json"*) echo '{"clientVersion":{"major":"1","minor":"31","gitVersion":"v1.31.0","platform":"linux/amd64"},"kustomizeVersion":"v5.4.2"}' ;;
  *" apply "*)
    if [[ -n "$applyset" ]]; then
      [[ "\${KUBECTL_APPLYSET:-}" == true ]] || { echo "error: unknown flag: --applyset=$applyset" >&2; exit 1; }
      [[ -n "$prune" ]] || { echo "error: --applyset requires --prune" >&2; exit 1; }
      [[ -n "$namespace" ]] || { echo "error: namespace is required to use namespace-scoped ApplySet" >&2; exit 1; }
    fi
    for f in "\${files[@]}"; do
      case "$f" in
        https://*metallb*) touch "$state/metallb"; printf '%s' '["--port=9120","--log-level=info"]' > "$state/speaker-args"; echo "namespace/metallb-system created" ;;
        -) cat >> "$FAKE_APPLIED" ;;
        *) cat "$f" >> "$FAKE_APPLIED"; echo >> "$FAKE_APPLIED"
           # One "<kind>/<name> serverside-applied" line per object, changed or not; an object's
           # change mark moves only when its text changed (as a field manager's managedFields time).
           touch "$state/objects"
           objects_in "$f" | awk -F '\\t' -v store="$state/objects" '
             BEGIN { while ((getline line < store) > 0) { split(line, f, "\\t"); mark[f[1]] = f[2]; text[f[1]] = f[3]; if (f[2] + 0 > top) top = f[2] + 0 } }
             { if (!($1 in mark) || text[$1] != $2) { mark[$1] = ++top; text[$1] = $2 }
               split($1, p, "/"); print tolower(p[1]) "/" p[2] " serverside-applied" }
             END { printf "" > (store ".new"); for (k in mark) print k "\\t" mark[k] "\\t" text[k] > (store ".new") }'
           mv "$state/objects.new" "$state/objects" ;;
      esac
    done ;;
  *" get -f "*)
    # custom-columns KIND, NAME and the change mark of every object of the files the cluster holds.
    objects_in "\${files[@]}" | awk -F '\\t' -v store="$state/objects" '
      BEGIN { while ((getline line < store) > 0) { split(line, f, "\\t"); mark[f[1]] = f[2] } }
      $1 in mark { split($1, p, "/"); print p[1] "   " p[2] "   " mark[$1] }' ;;
  *" get persistentvolumeclaims -o json"*)
    # Every claim applied, bound to minikube's default class (the storage-provisioner's "standard").
    touch "$state/objects"
    awk -F '\\t' 'BEGIN { printf "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"List\\",\\"items\\":[" }
      $1 ~ /^PersistentVolumeClaim\\// { sub(/^[^\\/]*\\//, "", $1); printf "%s{\\"kind\\":\\"PersistentVolumeClaim\\",\\"metadata\\":{\\"name\\":\\"%s\\"},\\"spec\\":{\\"storageClassName\\":\\"standard\\"},\\"status\\":{\\"phase\\":\\"Bound\\"}}", sep, $1; sep = "," }
      END { print "]}" }' "$state/objects" ;;
  *"get storageclasses -o json"*)
    # minikube's deploy/addons/storageclass/storageclass.yaml: no allowVolumeExpansion, unless the test gives it.
    expand=""; [[ -f "$state/expandable" ]] && expand=',"allowVolumeExpansion":true'
    printf '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"standard","annotations":{"storageclass.beta.kubernetes.io/is-default-class":"true"}},"provisioner":"k8s.io/minikube-hostpath"%s}]}\n' "$expand" ;;
  *"get namespace metallb-system"*) [[ -f "$state/metallb" ]] || { echo 'Error from server (NotFound): namespaces "metallb-system" not found' >&2; exit 1; }; echo namespace/metallb-system ;;
  *"get daemonset speaker"*) cat "$state/speaker-args" ;;
  *"patch daemonset speaker"*) printf '%s' '["--port=9120","--log-level=info","--ignore-exclude-lb"]' > "$state/speaker-args"; echo "daemonset.apps/speaker patched" ;;
  *"-n kube-system get pods -o name"*)
    echo pod/coredns-7db6d8ff4d-x2x9q; echo pod/etcd-minikube
    [[ "$(cat "$state/cni" 2>/dev/null)" == calico ]] && { echo pod/calico-node-4xk2p; echo pod/calico-kube-controllers-6d9f7c8b6-qv2mn; } ;;
  *"get deployments,daemonsets"*) printf 'deployment.apps/mysql\\ndaemonset.apps/telegraf\\n' ;;
  *"get services"*) printf 'nginx\\nwordpress\\n' ;;
  *" top pods "*)
    # kubectl pkg/cmd/top/top_pod.go: without a metrics API it fails with this message.
    [[ -f "$state/metrics-server" ]] || { echo "error: Metrics API not available" >&2; exit 1; }
    cat "$state/top-pods" 2>/dev/null || true ;;
  *"get pods -l app.kubernetes.io/instance=ft-services -o json"*) cat "$state/pods.json" 2>/dev/null || echo '{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}' ;;
  *"delete namespace "*) echo "namespace \\"$4\\" deleted" ;;
esac
exit 0
`;

export function fakeCluster(options: { running?: boolean; cni?: string } = {}): FakeCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-fake-cluster-'));
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'cluster');
  fs.mkdirSync(bin);
  fs.mkdirSync(state);
  if (options.running ?? true) fs.writeFileSync(path.join(state, 'running'), '');
  if (options.cni !== undefined) fs.writeFileSync(path.join(state, 'cni'), `${options.cni}\n`);
  fs.writeFileSync(path.join(bin, 'minikube'), MINIKUBE, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'kubectl'), KUBECTL, { mode: 0o755 });
  return { dir, bin, state, images: path.join(dir, 'images'), calls: path.join(dir, 'calls'), applied: path.join(dir, 'applied') };
}

/** The environment that points setup.sh at the fakes. */
export function fakeEnvironment(fake: FakeCluster): NodeJS.ProcessEnv {
  return { FAKE_CALLS: fake.calls, FAKE_IMAGES: fake.images, FAKE_APPLIED: fake.applied, FAKE_STATE: fake.state };
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

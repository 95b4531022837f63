#!/usr/bin/env bash
# ft_services on minikube, from a fresh machine to the running stack in one command (S1, B9, B13).
# Deploys exactly what the cdk8s app synthesizes (D3); credentials are generated once into .ft/
# and never printed unless asked (B2). Run `./setup.sh --help` for the commands.
#
# Written for bash 3.2 as well (macOS): no associative arrays, no mapfile, no `wait -n`, and no
# "${array[@]}" of a possibly empty array under `set -u`.

# `sh ./setup.sh` runs it with a shell that has no bash features: start again with bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

set -Eeuo pipefail

ROOT="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
FT_STATE_DIR="${FT_STATE_DIR:-$ROOT/.ft}"
FT_MINIKUBE_PROFILE="${FT_MINIKUBE_PROFILE:-minikube}"
FT_MINIKUBE_CPUS="${FT_MINIKUBE_CPUS:-2}"
FT_MINIKUBE_MEMORY="${FT_MINIKUBE_MEMORY:-3072}"
FT_MINIKUBE_DRIVER="${FT_MINIKUBE_DRIVER:-}"
FT_MINIKUBE_CNI="${FT_MINIKUBE_CNI:-calico}"
FT_LB_ADDRESS="${FT_LB_ADDRESS:-}"
FT_SERVICES_USER_CONFIG="${FT_SERVICES_USER_CONFIG:-}"
FT_METALLB_URL="${FT_METALLB_URL:-https://raw.githubusercontent.com/metallb/metallb/v0.16.1/config/manifests/metallb-native.yaml}"
FT_TIMEOUT="${FT_TIMEOUT:-600s}"
FT_ASSUME_YES="${FT_ASSUME_YES:-}"

# The stack's label on everything it owns (lib/stack-service.ts STACK_NAME).
readonly STACK_LABEL="app.kubernetes.io/part-of=ft-services"
readonly METALLB_NAMESPACE="metallb-system"
# The ApplySet parents (Secrets) that let `apply --prune` remove what left the chart.
readonly STACK_APPLYSET="ft-services-applyset"
readonly POOL_APPLYSET="ft-services-pool-applyset"
readonly FIELD_MANAGER="ft-setup"

# Filled by preflight and prepare.
KUBECTL=()
NAMESPACE=""
LB_MODE=""
LB_ADDRESS=""
MANIFESTS=""
IMAGES=""
# This run's storage settings, and where they go once applied (lib/setup/storage.ts).
APPLYING_STORAGE=""
DEPLOYED_STORAGE=""
SUMMARY=""
# "on" when a service of the stack has its autoscaler on (K8): the cluster then needs a metrics server.
AUTOSCALING=""
CURRENT_STEP=""
REPORTED=""

# Colour on a terminal only, never when NO_COLOR is set (https://no-color.org).
if [[ -t 1 && -z "${NO_COLOR:-}" && "${TERM:-}" != dumb ]]; then
  BOLD=$'\033[1m' RED=$'\033[31m' YELLOW=$'\033[33m' GREEN=$'\033[32m' RESET=$'\033[0m'
else
  BOLD="" RED="" YELLOW="" GREEN="" RESET=""
fi

usage() {
  cat <<EOF
Usage: ./setup.sh [COMMAND] [--config FILE] [--yes]

Commands:
  up            (default) start or reuse minikube, install the dashboard and MetalLB, generate the
                credentials, build the eight images (only those whose sources changed), synthesize
                the cdk8s app and apply it, wait for every rollout, print every address.
  validate      check your configuration (--config FILE) and FT_LB_ADDRESS without a cluster;
                nothing is changed.
  status        the addresses, where the credentials are and each service's pods (with their CPU
                and memory when a metrics server answers); changes nothing.
  check         prove every subject requirement against the running stack: a pass/fail table by
                requirement ID; exits non-zero when any check fails. It restarts pods on purpose.
  credentials   print the generated logins and passwords (keep the output private).
  delete        remove what setup made: the namespace with its volumes (asks first unless --yes),
                MetalLB and the dashboard add-on if setup installed them, the images it built, and
                .ft/. The minikube cluster itself stays: 'minikube delete' removes it.
  help          this text (also -h, --help).

Options:
  --config FILE   your own stack configuration (JSON, the settings in README.md), merged over
                  setup's own (load-balancer address, image tags); same as FT_SERVICES_USER_CONFIG.
                  'up' remembers it in .ft/: later commands use it without --config; another file
                  given to 'up' changes the stack, given to another command it is refused.
  -y, --yes       delete persistent data without asking (delete).

Environment:
  FT_SERVICES_USER_CONFIG  your configuration file, as --config
  FT_MINIKUBE_PROFILE      minikube profile (and kubectl context) to use      [minikube]
  FT_MINIKUBE_CPUS         CPUs of a cluster setup starts                     [2]
  FT_MINIKUBE_MEMORY       memory (MB) of a cluster setup starts              [3072]
  FT_MINIKUBE_DRIVER       minikube driver of a cluster setup starts          [minikube's choice]
  FT_MINIKUBE_CNI          network plugin of a cluster setup starts           [calico]
  FT_LB_ADDRESS            the load-balancer IP      [.240 in the node's /24, .241 if the node has .240]
  FT_METALLB_URL           MetalLB manifest          [MetalLB v0.16.1 metallb-native.yaml]
  FT_TIMEOUT               how long to wait for each rollout                  [600s]
  FT_STATE_DIR             where setup keeps secrets, manifests and state     [./.ft]
  FT_ASSUME_YES            non-empty: same as --yes
  NO_COLOR                 non-empty: no colour even on a terminal

Examples:
  ./setup.sh                                   bring the stack up (again: only what changed)
  ./setup.sh validate --config mine.json       check a configuration file, no cluster needed
  ./setup.sh up --config mine.json             bring the stack up with your settings
  FT_LB_ADDRESS=192.168.49.250 ./setup.sh      choose the load-balancer address yourself
  ./setup.sh status                            where everything is, and how the pods are
  ./setup.sh delete --yes                      remove the stack and its data

Setup state lives in .ft/ (ignored by git): user-config.json (your settings), config.json (the
address, image tags and Secret checksums setup chose), secrets/<secret>/<key> (mode 0600),
manifests/, logs/, made (what setup installed, for delete).
EOF
}

info() { printf '%s\n' "$*"; }
warn() { printf '%swarning:%s %s\n' "$YELLOW" "$RESET" "$*" >&2; }
die() {
  printf '%serror:%s %s\n' "$RED" "$RESET" "$*" >&2
  REPORTED=1
  exit 1
}

# run_step TITLE FUNCTION [ARGS...]: prints the step and how long it took.
run_step() {
  local title=$1 start=$SECONDS
  shift
  CURRENT_STEP=$title
  printf '%s==> %s%s\n' "$BOLD" "$title" "$RESET"
  "$@"
  printf '    %sdone%s in %ss\n' "$GREEN" "$RESET" "$((SECONDS - start))"
  CURRENT_STEP=""
}

# A failure nobody explained yet: name the step and what to do next.
on_exit() {
  local status=$?
  ((status != 0)) || return 0
  [[ -z "$REPORTED" ]] || return 0
  printf '%serror:%s %s failed (exit status %s); its output is above.\n' "$RED" "$RESET" "${CURRENT_STEP:-setup}" "$status" >&2
  printf 'Fix what it says and run ./setup.sh again: it resumes. See "Troubleshooting" in README.md.\n' >&2
}

on_interrupt() {
  printf '\n%sinterrupted%s%s. Nothing is lost: run ./setup.sh again and it resumes.\n' "$YELLOW" "$RESET" "${CURRENT_STEP:+ during \"$CURRENT_STEP\"}" >&2
  REPORTED=1
  exit 130
}

require_command() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found. $2"
}

minikube_cmd() { minikube -p "$FT_MINIKUBE_PROFILE" "$@"; }
kube() { "${KUBECTL[@]}" "$@"; }
# --applyset is behind kubectl's KUBECTL_APPLYSET gate (kubectl pkg/cmd/util/helpers.go, since 1.27).
kube_apply() { KUBECTL_APPLYSET=true "${KUBECTL[@]}" apply --server-side --field-manager="$FIELD_MANAGER" "$@"; }

# Records something setup made, for `delete` (one line per thing, no duplicates).
remember() {
  mkdir -p "$FT_STATE_DIR"
  touch "$FT_STATE_DIR/made"
  grep -Fxq "$1" "$FT_STATE_DIR/made" || printf '%s\n' "$1" >>"$FT_STATE_DIR/made"
}

made_by_setup() { [[ -f "$FT_STATE_DIR/made" ]] && grep -Fxq "$1" "$FT_STATE_DIR/made"; }

# ft COMMAND ARGS...: bin/ft.ts, the TypeScript side of setup, once per command. It validates the
# configuration and reads the chart's own lists, so nothing here keeps a copy of them.
# A failure prints its own reason (the field, the value, what is allowed): nothing to add to it.
ft() {
  local command=$1
  shift
  (cd "$ROOT" && FT_KUBECTL="${KUBECTL[*]-}" FT_LB_ADDRESS="$FT_LB_ADDRESS" \
    node -r ts-node/register/transpile-only bin/ft.ts "$command" --state "$FT_STATE_DIR" \
    ${FT_SERVICES_USER_CONFIG:+--config "$FT_SERVICES_USER_CONFIG"} "$@") || {
    REPORTED=1
    exit 1
  }
}

# Every setting setup reads from the environment, checked before anything changes.
validate_environment() {
  [[ "$FT_MINIKUBE_CPUS" =~ ^[1-9][0-9]*$ ]] || die "FT_MINIKUBE_CPUS is '$FT_MINIKUBE_CPUS'; allowed: a whole number of CPUs such as 2"
  [[ "$FT_MINIKUBE_MEMORY" =~ ^[1-9][0-9]*$ ]] || die "FT_MINIKUBE_MEMORY is '$FT_MINIKUBE_MEMORY'; allowed: megabytes as a whole number such as 3072"
  [[ "$FT_TIMEOUT" =~ ^[1-9][0-9]*[smh]$ ]] || die "FT_TIMEOUT is '$FT_TIMEOUT'; allowed: a duration such as 600s, 10m or 1h"
  [[ "$FT_MINIKUBE_PROFILE" =~ ^[a-zA-Z0-9][a-zA-Z0-9._-]*$ ]] || die "FT_MINIKUBE_PROFILE is '$FT_MINIKUBE_PROFILE'; allowed: letters, digits, '.', '_' and '-'"
  # minikube pkg/minikube/cni/cni.go: the values of --cni. bridge and kindnet do not enforce NetworkPolicies.
  case "$FT_MINIKUBE_CNI" in
    calico | cilium) ;;
    auto | bridge | kindnet | flannel | false) warn "FT_MINIKUBE_CNI=$FT_MINIKUBE_CNI does not enforce NetworkPolicies: the databases are open to every pod" ;;
    *) [[ -f "$FT_MINIKUBE_CNI" ]] || die "FT_MINIKUBE_CNI is '$FT_MINIKUBE_CNI'; allowed: calico, cilium, auto, bridge, kindnet, flannel, false or a CNI manifest file" ;;
  esac
}

preflight_node() {
  require_command node "Install Node.js 18 or later (https://nodejs.org/): it synthesizes the manifests."
  require_command npm "Install npm (it comes with Node.js): it installs the cdk8s app's dependencies."
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  ((major >= 18)) || die "Node.js $major is too old: install Node.js 18 or later (https://nodejs.org/)."
}

preflight_cluster_tools() {
  require_command minikube "Install minikube (v1.30 or later): https://minikube.sigs.k8s.io/docs/start/"
  if command -v kubectl >/dev/null 2>&1; then
    KUBECTL=(kubectl --context "$FT_MINIKUBE_PROFILE")
  else
    info "kubectl not found: using 'minikube kubectl --' (minikube downloads a matching kubectl)"
    KUBECTL=(minikube -p "$FT_MINIKUBE_PROFILE" kubectl -- --context "$FT_MINIKUBE_PROFILE")
  fi
}

preflight_tools() {
  preflight_cluster_tools
  preflight_node
  require_command openssl "Install OpenSSL: it makes the stack's TLS certificate."
  require_command ssh-keygen "Install OpenSSH's ssh-keygen: it makes the nginx container's SSH host key."
  check_kubectl_version
  warn_macos_docker_network
}

# `apply --applyset --prune` needs kubectl 1.27 or later. `kubectl version --client -o json` prints
# {"clientVersion": {"major": "1", "minor": "31", …}} (minor may carry a "+", e.g. "27+").
check_kubectl_version() {
  [[ "${KUBECTL[0]}" == kubectl ]] || return 0
  local version minor
  version="$(kubectl version --client -o json 2>/dev/null || true)"
  minor="$(printf '%s' "$version" | tr -d ' \n' | sed -n 's/.*"clientVersion":{[^}]*"minor":"\([0-9]*\).*/\1/p')"
  [[ -n "$minor" ]] || return 0
  ((minor >= 27)) || die "kubectl 1.$minor is too old: setup needs 1.27 or later (apply --applyset). Install a newer kubectl, or remove it from PATH to use 'minikube kubectl --'."
}

# On macOS, Docker runs containers inside a VM, so the docker driver's network (and the
# load-balancer address in it) is not reachable from the host (Docker Desktop's networking docs:
# no docker0 bridge on the host, containers cannot be pinged from it).
warn_macos_docker_network() {
  [[ "$(uname -s)" == Darwin ]] || return 0
  local driver="$FT_MINIKUBE_DRIVER"
  [[ -n "$driver" ]] || driver="$(minikube config get driver 2>/dev/null || true)"
  case "$driver" in
    docker | podman | "")
      warn "on macOS the ${driver:-default (usually docker)} driver's network is not reachable from your Mac," \
        "so the load-balancer IP will not answer from the host. Use a VM driver" \
        "(FT_MINIKUBE_DRIVER=vfkit, qemu or virtualbox; 'minikube delete' first). See Troubleshooting in README.md."
      ;;
  esac
}

# A fresh clone has no node_modules: install exactly the locked versions.
install_node_modules() {
  if [[ -f "$ROOT/node_modules/.package-lock.json" && ! "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]]; then
    info "    dependencies already installed"
    return 0
  fi
  (cd "$ROOT" && npm ci --no-audit --no-fund)
}

cluster_running() {
  local host
  host="$(minikube_cmd status --format '{{.Host}} {{.APIServer}}' 2>/dev/null || true)"
  [[ "$host" == "Running Running" ]]
}

require_running_cluster() {
  cluster_running || die "minikube is not running (profile $FT_MINIKUBE_PROFILE): run ./setup.sh or minikube -p $FT_MINIKUBE_PROFILE start"
}

start_cluster() {
  # --cni: minikube's default for the docker driver is bridge, which does not enforce NetworkPolicies
  # (minikube pkg/minikube/cni/cni.go chooseDefault); calico does.
  local args=(start --cpus="$FT_MINIKUBE_CPUS" --memory="$FT_MINIKUBE_MEMORY" --cni="$FT_MINIKUBE_CNI")
  if [[ -n "$FT_MINIKUBE_DRIVER" ]]; then args+=(--driver="$FT_MINIKUBE_DRIVER"); fi
  minikube_cmd "${args[@]}"
}

# A cluster setup did not start may run a CNI that ignores NetworkPolicies: say so, and how to fix it.
check_network_policy_support() {
  local pods
  pods="$(kube -n kube-system get pods -o name 2>/dev/null || true)"
  case "$pods" in
    *pod/calico-node-* | *pod/cilium-*) info "    the network plugin enforces NetworkPolicies" ;;
    *)
      warn "no calico or cilium pods in kube-system: this cluster's network plugin probably does not enforce" \
        "NetworkPolicies, so every pod can reach MySQL and InfluxDB. To enforce them, recreate the cluster:" \
        "minikube -p $FT_MINIKUBE_PROFILE delete && ./setup.sh (it starts minikube with --cni=$FT_MINIKUBE_CNI)."
      ;;
  esac
}

# minikube cmd/minikube/cmd/config/addons_list.go: `addons list -o json` prints one JSON object,
# {"dashboard":{"Profile":"minikube","Status":"enabled"},…}. Read it whole, then match: a
# `minikube addons list | grep -q` under pipefail fails when grep exits first (SIGPIPE).
addon_enabled() {
  local addons pattern="\"$1\":\\{[^}]*\"Status\":\"enabled\""
  addons="$(minikube_cmd addons list -o json 2>/dev/null)" || return 1
  [[ "$addons" =~ $pattern ]]
}

# enable_addon NAME: enables minikube's add-on NAME unless it is on already; `delete` disables only
# what setup enabled.
enable_addon() {
  if addon_enabled "$1"; then
    info "    $1 add-on already enabled"
    return 0
  fi
  minikube_cmd addons enable "$1"
  remember "addon $1"
}

# The one TypeScript call of `up`: validate every input, then write .ft/ (settings, credentials,
# Secret checksums) and synthesize the manifests. Nothing is written when an input is refused.
prepare() {
  local node_ip="" lines line key rest
  if [[ -z "$FT_LB_ADDRESS" ]]; then
    node_ip="$(minikube_cmd ip)" || die "minikube ip failed: is the cluster running? (minikube -p $FT_MINIKUBE_PROFILE status)"
  fi
  lines="$(ft prepare ${node_ip:+--node-ip "$node_ip"})" || {
    REPORTED=1
    printf 'Nothing was changed. Fix the value above and run ./setup.sh again (./setup.sh validate checks a configuration).\n' >&2
    exit 1
  }
  while IFS= read -r line; do
    key=${line%% *} rest=${line#* }
    case "$key" in
      namespace) NAMESPACE=$rest ;;
      mode) LB_MODE=$rest ;;
      address) LB_ADDRESS=$rest ;;
      manifests) MANIFESTS=$rest ;;
      storage) APPLYING_STORAGE=${rest% *} DEPLOYED_STORAGE=${rest#* } ;;
      image) IMAGES="${IMAGES}${rest% *}:${rest#* }"$'\n' ;;
      note) info "    $rest" ;;
      summary) SUMMARY="${SUMMARY}${rest}"$'\n' ;;
      autoscaling) AUTOSCALING=$rest ;;
    esac
  done <<<"$lines"
  [[ -n "$NAMESPACE" && -n "$LB_MODE" && -n "$LB_ADDRESS" && -n "$MANIFESTS" && -n "$IMAGES" && -n "$APPLYING_STORAGE" && -n "$AUTOSCALING" ]] || die "bin/ft.ts prepare printed no complete plan"
  info "    load-balancer address: $LB_ADDRESS"
}

metallb_installed() { kube get namespace "$METALLB_NAMESPACE" -o name >/dev/null 2>&1; }

# MetalLB's speaker does not announce from a node labelled
# node.kubernetes.io/exclude-from-external-load-balancers unless started with --ignore-exclude-lb
# (metallb v0.16.1 speaker/main.go, speaker/layer2_controller.go; MetalLB troubleshooting, "single
# node cluster"). kubeadm labels every control-plane node so, and minikube's only node is one. We add
# the flag rather than remove the label: the label is kubeadm's, a fresh `minikube start` (kubeadm
# init, phase mark-control-plane) puts it back, and other load balancers honour it; the flag changes
# only the MetalLB setup installed. The speaker is the first container of its DaemonSet in
# metallb-native.yaml.
speaker_args() { kube -n "$METALLB_NAMESPACE" get daemonset speaker -o jsonpath='{.spec.template.spec.containers[0].args}'; }

ensure_speaker_ignores_exclude_label() {
  local args
  args="$(speaker_args)"
  [[ "$args" == *--ignore-exclude-lb* ]] && return 0
  if ! made_by_setup "metallb $FT_METALLB_URL"; then
    warn "the MetalLB that was already installed runs its speaker without --ignore-exclude-lb: it will not announce" \
      "the address from minikube's control-plane node. Fix: ${KUBECTL[*]} -n $METALLB_NAMESPACE patch daemonset speaker --type=json" \
      "-p '[{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/args/-\",\"value\":\"--ignore-exclude-lb\"}]'"
    return 0
  fi
  kube -n "$METALLB_NAMESPACE" patch daemonset speaker --type=json \
    -p '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--ignore-exclude-lb"}]' >/dev/null
  info "    MetalLB's speaker announces from control-plane nodes too (--ignore-exclude-lb)"
}

install_metallb() {
  if [[ "$LB_MODE" != metallb ]]; then
    info "    loadBalancer.mode is $LB_MODE: the cluster's own load balancer is used"
    return 0
  fi
  if made_by_setup "metallb $FT_METALLB_URL"; then
    info "    MetalLB (installed by setup) is there"
  elif metallb_installed; then
    info "    MetalLB was already installed: setup uses it, and delete leaves it"
  else
    # Applied once: a later client-side apply of the manifest would drop the speaker flag below.
    kube apply -f "$FT_METALLB_URL" >/dev/null
    remember "metallb $FT_METALLB_URL"
  fi
  ensure_speaker_ignores_exclude_label
  kube -n "$METALLB_NAMESPACE" rollout status deployment/controller --timeout="$FT_TIMEOUT"
  kube -n "$METALLB_NAMESPACE" rollout status daemonset/speaker --timeout="$FT_TIMEOUT"
}

cluster_images() {
  minikube_cmd image ls
}

# image_present IMAGE LISTING: minikube lists images by their full name (docker.io/library/nginx:tag).
# A here-string, not a pipe: grep -q stops at the first match, and a writer still writing then dies
# of SIGPIPE, which pipefail reports as "absent" (a listing longer than the pipe's buffer).
image_present() {
  grep -Fxq -e "$1" -e "docker.io/library/$1" <<<"$2"
}

# Builds, in parallel, every image whose tag the cluster lacks (B9), with srcs/ as the build context.
build_images() {
  local logs="$FT_STATE_DIR/logs" listing image pids=() names=()
  mkdir -p "$logs"
  listing="$(cluster_images)"
  while read -r image; do
    [[ -n "$image" ]] || continue
    if image_present "$image" "$listing"; then
      info "    $image is already in the cluster"
      continue
    fi
    info "    building $image (log: $logs/build-${image%%:*}.log)"
    (
      start=$SECONDS
      minikube_cmd image build -t "$image" -f "${image%%:*}/Dockerfile" "$ROOT/srcs" >"$logs/build-${image%%:*}.log" 2>&1
    ) &
    pids+=("$!")
    names+=("$image")
  done <<<"$IMAGES"
  ((${#pids[@]} > 0)) || return 0
  local i exited=()
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then exited+=(0); else exited+=(1); fi
  done
  # `minikube image build` may exit 0 without an image: the image store is the one verdict.
  local failed=()
  listing="$(cluster_images)"
  for i in "${!names[@]}"; do
    if image_present "${names[$i]}" "$listing"; then
      remember "image ${names[$i]}"
      info "    built ${names[$i]}"
    else
      failed+=("${names[$i]}")
      if ((${exited[$i]} == 0)); then
        printf '\n--- %s: the build exited 0 but left no image; last lines of %s ---\n' "${names[$i]}" "$logs/build-${names[$i]%%:*}.log" >&2
      else
        printf '\n--- %s failed; last lines of %s ---\n' "${names[$i]}" "$logs/build-${names[$i]%%:*}.log" >&2
      fi
      tail -n 20 "$logs/build-${names[$i]%%:*}.log" >&2 || true
    fi
  done
  ((${#failed[@]} == 0)) || die "image build failed: ${failed[*]}. The whole logs are in $logs/; fix the Dockerfile and run ./setup.sh again."
}

# The MetalLB pool is validated by MetalLB's webhook, which answers some seconds after its pod is
# ready: retry while it warms up.
apply_metallb_chart() {
  local file="$MANIFESTS/ft-services-metallb.k8s.yaml" attempt
  [[ -f "$file" ]] || return 0
  mkdir -p "$FT_STATE_DIR/logs"
  for attempt in 1 2 3 4 5 6 7 8 9 10 11 12; do
    if kube_apply -n "$METALLB_NAMESPACE" --applyset="$POOL_APPLYSET" --prune -f "$file" >"$FT_STATE_DIR/logs/metallb-apply.log" 2>&1; then return 0; fi
    info "    MetalLB's webhook is not answering yet (attempt $attempt/12); retrying in 5s"
    sleep 5
  done
  cat "$FT_STATE_DIR/logs/metallb-apply.log" >&2
  die "MetalLB refused the address pool (above). See \"MetalLB\" in README.md's Troubleshooting."
}

# When this field manager last changed each object of FILES, one "Kind/name time" a line, sorted.
# The API server moves a manager's managedFields time only when its apply changes the object (an
# apply that changes nothing gives no new object: structured-merge-diff merge/update.go Apply, and
# apimachinery pkg/util/managedfields/internal/managedfieldsupdater.go then keeps the time), and
# controllers writing status do not touch it: two listings tell what one apply changed. Objects not
# yet created are left out (--ignore-not-found).
applied_times() {
  kube -n "$NAMESPACE" get "$@" --ignore-not-found --no-headers \
    -o "custom-columns=KIND:.kind,NAME:.metadata.name,CHANGED:.metadata.managedFields[?(@.manager==\"$FIELD_MANAGER\")].time" |
    awk '{ print $1 "/" $2, $3 }' | sort
}

# Server-side apply (10.7): no object, Secrets included, gets a last-applied-configuration copy of
# itself, and --prune with an ApplySet deletes what left the chart (kubectl pkg/cmd/apply/applyset.go;
# the parent Secret is created in the -n namespace on first use).
apply_stack() {
  local log="$FT_STATE_DIR/logs/apply.log" before after applied changed
  local files=(-f "$MANIFESTS/ft-services-secrets.k8s.yaml" -f "$MANIFESTS/ft-services.k8s.yaml")
  mkdir -p "$FT_STATE_DIR/logs"
  kube_apply -f "$MANIFESTS/ft-services-namespace.k8s.yaml" >"$log" 2>&1 || {
    cat "$log" >&2
    die "kubectl could not apply namespace $NAMESPACE (above)"
  }
  apply_metallb_chart
  before="$(applied_times "${files[@]}")" || die "kubectl could not read the stack's objects (above)"
  kube_apply -n "$NAMESPACE" --applyset="$STACK_APPLYSET" --prune "${files[@]}" >"$log" 2>&1 || {
    cat "$log" >&2
    die "kubectl apply failed (above; log: $log)"
  }
  after="$(applied_times "${files[@]}")" || die "kubectl could not read the stack's objects (above)"
  # The claims now have this run's storage: what the next run's prepare and validate compare with.
  mv "$APPLYING_STORAGE" "$DEPLOYED_STORAGE"
  # Server-side apply leaves what other field managers own, so a Secret an older client-side apply
  # made would keep its values in this annotation (kubectl pkg/cmd/apply/apply.go,
  # saveLastApplyAnnotationIfNecessary): remove it. Removing an absent annotation is no error
  # (pkg/cmd/annotate/annotate.go).
  kube -n "$NAMESPACE" annotate secrets -l "$STACK_LABEL" kubectl.kubernetes.io/last-applied-configuration- >/dev/null
  # Server-side apply prints "<kind>/<name> serverside-applied" for every object it was given, changed
  # or not, and "… pruned" for what left the set; the listings tell which it created or changed.
  applied="$(grep -c ' serverside-applied$' "$log" || true)"
  changed="$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -c . || true)"
  if ((changed == 0)); then
    info "    nothing to change: the cluster already held all $applied objects as the chart has them (log: $log)"
  else
    info "    $changed of $applied objects created or changed (log: $log)"
  fi
  grep ' pruned$' "$log" | sed 's/^/    removed from the chart, deleted: /' || true
}

wait_for_stack() {
  local workloads workload services service
  workloads="$(kube -n "$NAMESPACE" get deployments,daemonsets -l "$STACK_LABEL" -o name)"
  for workload in $workloads; do
    kube -n "$NAMESPACE" rollout status "$workload" --timeout="$FT_TIMEOUT" >/dev/null || die "$workload did not become ready in $FT_TIMEOUT. See why: ${KUBECTL[*]} -n $NAMESPACE describe pods -l app.kubernetes.io/name=${workload#*/}; then ./setup.sh status"
  done
  services="$(kube -n "$NAMESPACE" get services -l "$STACK_LABEL" -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.name}{"\n"}{end}')"
  for service in $services; do
    kube -n "$NAMESPACE" wait "service/$service" --for=jsonpath='{.status.loadBalancer.ingress[0].ip}'="$LB_ADDRESS" --timeout="$FT_TIMEOUT" >/dev/null ||
      die "service/$service has no address $LB_ADDRESS after $FT_TIMEOUT. See: ${KUBECTL[*]} -n $NAMESPACE describe service $service and ${KUBECTL[*]} -n $METALLB_NAMESPACE logs daemonset/speaker"
  done
  info "    every workload is ready and every public Service has $LB_ADDRESS"
}

print_summary() {
  printf '\n%s' "$SUMMARY"
  cat <<EOF

Kubernetes dashboard:
  minikube -p $FT_MINIKUBE_PROFILE dashboard --url     then open the URL it prints (no login needed).
  If a login page asks for a token: ${KUBECTL[*]} -n kubernetes-dashboard create token kubernetes-dashboard

Where things are later: ./setup.sh status. Prove every requirement: ./setup.sh check
EOF
}

cmd_up() {
  local start=$SECONDS
  run_step "Checking the tools" preflight_tools
  run_step "Installing the cdk8s app's dependencies" install_node_modules
  if cluster_running; then
    info "${BOLD}==> Reusing the running minikube profile $FT_MINIKUBE_PROFILE${RESET}"
    run_step "Checking the network plugin" check_network_policy_support
  else
    # Validate before the cluster is touched; with a running cluster prepare validates first.
    run_step "Checking the configuration" ft validate
    run_step "Starting minikube (profile $FT_MINIKUBE_PROFILE, network plugin $FT_MINIKUBE_CNI)" start_cluster
  fi
  run_step "Preparing the settings, credentials and manifests" prepare
  run_step "Enabling the Kubernetes dashboard" enable_addon dashboard
  # The autoscalers read the pods' CPU from the metrics API (K8).
  if [[ "$AUTOSCALING" == on ]]; then run_step "Enabling the metrics server (autoscaling is on)" enable_addon metrics-server; fi
  run_step "Installing MetalLB" install_metallb
  run_step "Building the images that changed" build_images
  run_step "Applying the namespace, the address pool, the Secrets and the stack" apply_stack
  run_step "Waiting for the stack" wait_for_stack
  print_summary
  info ""
  info "${GREEN}ft_services is up${RESET} in $((SECONDS - start))s."
}

cmd_validate() {
  preflight_node
  ft validate
}

cmd_status() {
  preflight_cluster_tools
  preflight_node
  require_running_cluster
  ft status
}

cmd_check() {
  preflight_tools
  require_running_cluster
  ft check
}

cmd_credentials() {
  preflight_node
  printf '%s\n\n' "warning: these are the stack's passwords; do not paste them anywhere public." >&2
  ft credentials
}

# The pool, its advertisement and their ApplySet parent (which carries no stack label), also from
# a MetalLB that stays because setup did not install it.
delete_address_pool() {
  kube -n "$METALLB_NAMESPACE" delete ipaddresspools.metallb.io,l2advertisements.metallb.io -l "$STACK_LABEL" --ignore-not-found
  kube -n "$METALLB_NAMESPACE" delete secret "$POOL_APPLYSET" --ignore-not-found
}

confirm() {
  [[ -n "$FT_ASSUME_YES" ]] && return 0
  local answer=""
  printf '%s [y/N] ' "$1"
  read -r answer || true
  [[ "$answer" == y || "$answer" == Y || "$answer" == yes ]]
}

cmd_delete() {
  preflight_cluster_tools
  preflight_node
  local lines key value
  # The namespace comes from the remembered settings; a different --config is refused there.
  lines="$(ft settings)" || {
    REPORTED=1
    exit 1
  }
  while read -r key value; do
    [[ "$key" != namespace ]] || NAMESPACE=$value
  done <<<"$lines"
  require_running_cluster
  confirm "Delete namespace $NAMESPACE with its volumes (MySQL, WordPress uploads, FTPS files, InfluxDB, Grafana)?" ||
    die "nothing deleted"
  run_step "Deleting namespace $NAMESPACE and its volumes" kube delete namespace "$NAMESPACE" --ignore-not-found --wait=true
  run_step "Deleting the stack's cluster-wide objects" kube delete clusterroles,clusterrolebindings -l "$STACK_LABEL" --ignore-not-found
  if metallb_installed; then run_step "Deleting the address pool" delete_address_pool; fi
  local made="$FT_STATE_DIR/made" kind what
  if [[ -f "$made" ]]; then
    while read -r kind what; do
      case "$kind" in
        metallb) run_step "Deleting MetalLB (setup installed it)" kube delete -f "$what" --ignore-not-found ;;
        addon) run_step "Disabling the $what add-on (setup enabled it)" minikube_cmd addons disable "$what" ;;
        image) run_step "Removing image $what" minikube_cmd image rm "$what" ;;
      esac
    done <"$made"
  fi
  rm -rf "$FT_STATE_DIR"
  info "Deleted. The minikube cluster is still there: 'minikube -p $FT_MINIKUBE_PROFILE delete' removes it."
}

main() {
  local command=up
  while (($# > 0)); do
    case "$1" in
      up | validate | status | check | credentials | delete) command=$1 ;;
      help | -h | --help) command=help ;;
      --yes | -y) FT_ASSUME_YES=1 ;;
      --config)
        (($# >= 2)) || die "--config needs a file: ./setup.sh up --config mine.json"
        FT_SERVICES_USER_CONFIG=$2
        shift
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
    shift
  done
  if [[ -n "$FT_SERVICES_USER_CONFIG" ]]; then
    [[ -f "$FT_SERVICES_USER_CONFIG" ]] || die "configuration file $FT_SERVICES_USER_CONFIG not found"
    FT_SERVICES_USER_CONFIG="$(cd "$(dirname "$FT_SERVICES_USER_CONFIG")" && pwd)/$(basename "$FT_SERVICES_USER_CONFIG")"
  fi
  [[ "$command" == help ]] || validate_environment
  trap on_exit EXIT
  trap on_interrupt INT TERM
  case "$command" in
    up) cmd_up ;;
    validate) cmd_validate ;;
    status) cmd_status ;;
    check) cmd_check ;;
    credentials) cmd_credentials ;;
    delete) cmd_delete ;;
    help) usage ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi

#!/usr/bin/env bash
# ft_services on minikube, from a fresh machine to the running stack in one command (S1, B9).
# Deploys exactly what the cdk8s app synthesizes (D3); credentials are generated once into .ft/
# and never printed unless asked (B2). Run `./setup.sh --help` for the commands.
#
# Written for bash 3.2 as well (macOS): no associative arrays, no mapfile, no `wait -n`.
set -Eeuo pipefail

ROOT="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
FT_STATE_DIR="${FT_STATE_DIR:-$ROOT/.ft}"
FT_MINIKUBE_PROFILE="${FT_MINIKUBE_PROFILE:-minikube}"
FT_MINIKUBE_CPUS="${FT_MINIKUBE_CPUS:-2}"
FT_MINIKUBE_MEMORY="${FT_MINIKUBE_MEMORY:-3072}"
FT_MINIKUBE_DRIVER="${FT_MINIKUBE_DRIVER:-}"
FT_LB_ADDRESS="${FT_LB_ADDRESS:-}"
FT_SERVICES_USER_CONFIG="${FT_SERVICES_USER_CONFIG:-}"
FT_METALLB_URL="${FT_METALLB_URL:-https://raw.githubusercontent.com/metallb/metallb/v0.16.1/config/manifests/metallb-native.yaml}"
FT_TIMEOUT="${FT_TIMEOUT:-600s}"
FT_ASSUME_YES="${FT_ASSUME_YES:-}"

# The stack's label on everything it owns (lib/stack-service.ts STACK_NAME).
readonly STACK_LABEL="app.kubernetes.io/part-of=ft-services"
readonly METALLB_NAMESPACE="metallb-system"

# Filled by preflight / load_settings.
KUBECTL=()
NAMESPACE=""
LB_MODE=""
LB_ADDRESS=""

usage() {
  cat <<EOF
Usage: ./setup.sh [COMMAND] [--config FILE] [--yes]

Commands:
  up            (default) start or reuse minikube, install the dashboard and MetalLB, generate the
                credentials, build the eight images (only those whose sources changed), synthesize
                the cdk8s app and apply it, wait for every rollout, print every address.
  check         prove every subject requirement against the running stack: a pass/fail table by
                requirement ID; exits non-zero when any check fails. It restarts pods on purpose.
  credentials   print the generated logins and passwords (keep the output private).
  delete        remove what setup made: the namespace with its volumes (asks first unless --yes),
                MetalLB, the dashboard add-on if setup enabled it, the images it built, and .ft/.
                The minikube cluster itself stays: 'minikube delete' removes it.
  help          this text (also -h, --help).

Options:
  --config FILE   your own stack configuration (JSON, the shape of lib/config.ts), merged over
                  setup's own (load-balancer address, image tags); same as FT_SERVICES_USER_CONFIG.
  --yes           delete persistent data without asking (delete).

Environment:
  FT_SERVICES_USER_CONFIG  your configuration file, as --config
  FT_MINIKUBE_PROFILE      minikube profile (and kubectl context) to use      [minikube]
  FT_MINIKUBE_CPUS         CPUs of a cluster setup starts                     [2]
  FT_MINIKUBE_MEMORY       memory (MB) of a cluster setup starts              [3072]
  FT_MINIKUBE_DRIVER       minikube driver of a cluster setup starts          [minikube's choice]
  FT_LB_ADDRESS            the load-balancer IP      [.240 in the node's /24, .241 if the node has .240]
  FT_METALLB_URL           MetalLB manifest          [MetalLB v0.16.1 metallb-native.yaml]
  FT_TIMEOUT               how long to wait for each rollout                  [600s]
  FT_STATE_DIR             where setup keeps secrets, manifests and state     [./.ft]
  FT_ASSUME_YES            non-empty: same as --yes

Setup state lives in .ft/ (ignored by git): secrets/<secret>/<key> (mode 0600), config.json (the
address and image tags handed to the cdk8s app through FT_SERVICES_CONFIG), manifests/, logs/.
EOF
}

info() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# run_step TITLE FUNCTION [ARGS...]: prints the step and how long it took.
run_step() {
  local title=$1 start=$SECONDS
  shift
  printf '==> %s\n' "$title"
  "$@"
  printf '    done in %ss\n' "$((SECONDS - start))"
}

require_command() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found. $2"
}

minikube_cmd() { minikube -p "$FT_MINIKUBE_PROFILE" "$@"; }
kube() { "${KUBECTL[@]}" "$@"; }

# Records something setup made, for `delete` (one line per thing, no duplicates).
remember() {
  mkdir -p "$FT_STATE_DIR"
  touch "$FT_STATE_DIR/made"
  grep -Fxq "$1" "$FT_STATE_DIR/made" || printf '%s\n' "$1" >>"$FT_STATE_DIR/made"
}

# The override files the cdk8s app reads, colon-separated: setup's own, then the user's.
stack_config_files() {
  local files="$FT_STATE_DIR/config.json"
  [[ -f "$files" ]] || files=""
  if [[ -n "$FT_SERVICES_USER_CONFIG" ]]; then files="${files:+$files:}$FT_SERVICES_USER_CONFIG"; fi
  printf '%s' "$files"
}

# ft ARGS...: bin/ft.ts, the TypeScript side of setup. It reads the configuration the chart reads,
# so the Secrets, services and tags come from the chart's own lists, never from a copy here.
ft() {
  (cd "$ROOT" && FT_SERVICES_CONFIG="$(stack_config_files)" npx --no-install ts-node --transpile-only bin/ft.ts "$@")
}

# plan_lines KIND [SRCS]: the `ft plan` lines of one kind, without the kind (e.g. `secret` lines).
plan_lines() {
  local plan
  # errexit is off inside $(...) in bash < 4.4: fail explicitly so callers see it.
  plan="$(ft plan ${2:+"$2"})" || return 1
  printf '%s\n' "$plan" | awk -v kind="$1" '$1 == kind { sub(/^[^ ]+ /, ""); print }'
}

preflight_tools() {
  require_command minikube "Install minikube (v1.30 or later): https://minikube.sigs.k8s.io/docs/start/"
  if command -v kubectl >/dev/null 2>&1; then
    KUBECTL=(kubectl --context "$FT_MINIKUBE_PROFILE")
  else
    info "kubectl not found: using 'minikube kubectl --' (minikube downloads a matching kubectl)"
    KUBECTL=(minikube -p "$FT_MINIKUBE_PROFILE" kubectl -- --context "$FT_MINIKUBE_PROFILE")
  fi
  require_command node "Install Node.js 18 or later (https://nodejs.org/): it synthesizes the manifests."
  require_command npm "Install npm (it comes with Node.js): it installs the cdk8s app's dependencies."
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  ((major >= 18)) || die "Node.js $major is too old: install Node.js 18 or later (https://nodejs.org/)."
  require_command openssl "Install OpenSSL: it makes the stack's TLS certificate."
  require_command ssh-keygen "Install OpenSSH's ssh-keygen: it makes the nginx container's SSH host key."
  warn_macos_docker_network
}

# pitfalls 3: on macOS the docker driver's network is not reachable from the host.
warn_macos_docker_network() {
  [[ "$(uname -s)" == Darwin ]] || return 0
  local driver="$FT_MINIKUBE_DRIVER"
  [[ -n "$driver" ]] || driver="$(minikube config get driver 2>/dev/null || true)"
  case "$driver" in
    docker | podman | "")
      warn "on macOS the ${driver:-default (usually docker)} driver's network is not reachable from your Mac," \
        "so the load-balancer IP will not answer from the host. Use a VM driver" \
        "(FT_MINIKUBE_DRIVER=vfkit, hyperkit, qemu or virtualbox; 'minikube delete' first)," \
        "or keep 'minikube tunnel' running in another terminal."
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

start_cluster() {
  local host
  host="$(minikube_cmd status --format '{{.Host}} {{.APIServer}}' 2>/dev/null || true)"
  if [[ "$host" == "Running Running" ]]; then
    info "    reusing the running minikube profile $FT_MINIKUBE_PROFILE"
    return 0
  fi
  local args=(start --cpus="$FT_MINIKUBE_CPUS" --memory="$FT_MINIKUBE_MEMORY")
  if [[ -n "$FT_MINIKUBE_DRIVER" ]]; then args+=(--driver="$FT_MINIKUBE_DRIVER"); fi
  minikube_cmd "${args[@]}"
}

dashboard_enabled() {
  minikube_cmd addons list 2>/dev/null | grep -Eq '^\|[[:space:]]*dashboard[[:space:]]*\|[^|]*\|[[:space:]]*enabled'
}

enable_dashboard() {
  if dashboard_enabled; then
    info "    dashboard add-on already enabled"
    return 0
  fi
  minikube_cmd addons enable dashboard
  remember "addon dashboard"
}

# lb_address_for NODE_IP: the load-balancer address in the node's /24 (minikube's network), a high
# host number that is not the node's own (pitfalls 3: the node IP itself would shadow its sshd).
lb_address_for() {
  local ip=$1
  [[ "$ip" =~ ^([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.([0-9]{1,3})$ ]] || die "minikube ip printed '$ip', not an IPv4 address"
  local prefix=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]}
  if [[ "$host" == 240 ]]; then
    printf '%s.241\n' "$prefix"
  else
    printf '%s.240\n' "$prefix"
  fi
}

choose_address() {
  if [[ -n "$FT_LB_ADDRESS" ]]; then
    LB_ADDRESS="$FT_LB_ADDRESS"
  else
    local node_ip
    node_ip="$(minikube_cmd ip)"
    LB_ADDRESS="$(lb_address_for "$node_ip")"
  fi
  info "    load-balancer address: $LB_ADDRESS"
}

# Writes .ft/image-tags: "<service> <content hash>" for every image (lib/setup/image-tags.ts).
compute_image_tags() {
  mkdir -p "$FT_STATE_DIR"
  local tags
  tags="$(plan_lines image "$ROOT/srcs")"
  [[ -n "$tags" ]] || die "bin/ft.ts plan listed no images"
  printf '%s\n' "$tags" >"$FT_STATE_DIR/image-tags"
}

cluster_images() {
  minikube_cmd image ls
}

# image_present IMAGE LISTING: minikube lists images by their full name (docker.io/library/nginx:tag).
image_present() {
  printf '%s\n' "$2" | grep -Fxq -e "$1" -e "docker.io/library/$1"
}

# Builds, in parallel, every image whose tag the cluster lacks (B9), with srcs/ as the build context.
build_images() {
  local logs="$FT_STATE_DIR/logs" listing service tag pids=() names=()
  mkdir -p "$logs"
  listing="$(cluster_images)"
  while read -r service tag; do
    if image_present "$service:$tag" "$listing"; then
      info "    $service:$tag is already in the cluster"
      continue
    fi
    info "    building $service:$tag (log: $logs/build-$service.log)"
    (
      start=$SECONDS
      minikube_cmd image build -t "$service:$tag" -f "$service/Dockerfile" "$ROOT/srcs" >"$logs/build-$service.log" 2>&1
      printf '    built %s:%s in %ss\n' "$service" "$tag" "$((SECONDS - start))"
    ) &
    pids+=("$!")
    names+=("$service:$tag")
  done <"$FT_STATE_DIR/image-tags"
  ((${#pids[@]} > 0)) || return 0
  local i failed=()
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
  done
  # `minikube image build` may report a failed build with exit status 0: trust the image store.
  listing="$(cluster_images)"
  for i in "${!names[@]}"; do
    if image_present "${names[$i]}" "$listing"; then
      remember "image ${names[$i]}"
    else
      case " ${failed[*]-} " in *" ${names[$i]} "*) ;; *) failed+=("${names[$i]}") ;; esac
    fi
  done
  if ((${#failed[@]} > 0)); then
    for i in "${failed[@]}"; do
      printf '\n--- last lines of %s ---\n' "$logs/build-${i%%:*}.log" >&2
      tail -n 20 "$logs/build-${i%%:*}.log" >&2 || true
    done
    die "image build failed: ${failed[*]}"
  fi
}

# .ft/config.json: what setup decided, handed to the cdk8s app (the user's file is merged after it).
write_stack_config() {
  local tags="" service tag
  while read -r service tag; do
    tags="${tags:+$tags, }\"$service\": \"$tag\""
  done <"$FT_STATE_DIR/image-tags"
  printf '{\n  "loadBalancer": { "address": "%s" },\n  "images": { "tags": { %s } }\n}\n' "$LB_ADDRESS" "$tags" >"$FT_STATE_DIR/config.json"
}

# NAMESPACE, LB_MODE and LB_ADDRESS as the cdk8s app resolves them (the user's file may change them).
load_settings() {
  local plan key value
  plan="$(ft plan)"
  while read -r key value; do
    case "$key" in
      namespace) NAMESPACE=$value ;;
      mode) LB_MODE=$value ;;
      address) LB_ADDRESS=$value ;;
    esac
  done <<<"$plan"
  [[ -n "$NAMESPACE" && -n "$LB_MODE" && -n "$LB_ADDRESS" ]] || die "bin/ft.ts plan printed no complete settings"
}

install_metallb() {
  if [[ "$LB_MODE" != metallb ]]; then
    info "    loadBalancer.mode is $LB_MODE: the cluster's own load balancer is used"
    return 0
  fi
  kube apply -f "$FT_METALLB_URL" >/dev/null
  remember "metallb $FT_METALLB_URL"
  kube -n "$METALLB_NAMESPACE" rollout status deployment/controller --timeout="$FT_TIMEOUT"
  kube -n "$METALLB_NAMESPACE" rollout status daemonset/speaker --timeout="$FT_TIMEOUT"
}

# random_string LENGTH: letters and digits from /dev/urandom (no SIGPIPE under pipefail).
random_string() {
  local value=""
  while ((${#value} < $1)); do
    value+="$(head -c 256 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')"
  done
  printf '%s' "${value:0:$1}"
}

# write_secret_file FILE VALUE: mode 0600 from the start; the value never reaches a command line.
write_secret_file() {
  (
    umask 077
    printf '%s' "$2" >"$1"
  )
}

# tls_matches DIR ADDRESS: the pair exists and the certificate names ADDRESS.
tls_matches() {
  [[ -s "$1/tls.crt" && -s "$1/tls.key" ]] || return 1
  openssl x509 -in "$1/tls.crt" -noout -text 2>/dev/null | grep -Eq "IP Address:${2//./\\.}(,|[[:space:]]|$)"
}

ensure_tls_pair() {
  local dir=$1 address=$2
  tls_matches "$dir" "$address" && return 0
  local conf="$dir/.openssl.cnf"
  printf '%s\n' '[req]' 'distinguished_name = dn' 'x509_extensions = ext' 'prompt = no' \
    '[dn]' 'CN = ft-services' 'O = ft_services' \
    '[ext]' "subjectAltName = IP:$address" 'basicConstraints = critical,CA:FALSE' \
    'keyUsage = critical,digitalSignature,keyEncipherment' 'extendedKeyUsage = serverAuth' >"$conf"
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -config "$conf" -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
  )
  rm -f "$conf"
  chmod 600 "$dir/tls.crt" "$dir/tls.key"
  info "    new TLS certificate for $address"
}

ensure_ssh_key() {
  local file=$1
  [[ -s "$file" ]] && return 0
  local tmp
  tmp="$(mktemp -d "${file%/*}/.keygen.XXXXXX")"
  ssh-keygen -q -t ed25519 -N '' -C 'ft-services nginx host key' -f "$tmp/key" </dev/null
  mv "$tmp/key" "$file"
  rm -rf "$tmp"
  chmod 600 "$file"
}

# The Secret plan: "<secret> <type> <key> <generator>" lines from lib/secrets.ts stackSecrets().
secret_plan() {
  plan_lines secret
}

# generate_credentials ADDRESS: every key of every Secret, once (B2); later runs keep them. Only the
# certificate is remade, when the load-balancer address it names has changed.
generate_credentials() {
  local address=$1 plan secret type key generator dir file created=0
  plan="$(secret_plan)"
  mkdir -p "$FT_STATE_DIR/secrets"
  chmod 700 "$FT_STATE_DIR" "$FT_STATE_DIR/secrets"
  while read -r secret type key generator; do
    dir="$FT_STATE_DIR/secrets/$secret"
    file="$dir/$key"
    mkdir -p "$dir"
    chmod 700 "$dir"
    case "$generator" in
      tls) ensure_tls_pair "$dir" "$address" ;;
      ssh-ed25519) ensure_ssh_key "$file" ;;
      password) [[ -s "$file" ]] || { write_secret_file "$file" "$(random_string 24)" && created=$((created + 1)); } ;;
      token32) [[ -s "$file" ]] || { write_secret_file "$file" "$(random_string 32)" && created=$((created + 1)); } ;;
      *) die "bin/ft.ts planned an unknown generator '$generator' for $secret/$key" ;;
    esac
  done <<<"$plan"
  info "    credentials in $FT_STATE_DIR/secrets ($created new values; ./setup.sh credentials shows them)"
}

# Creates or updates every Secret from the files; values travel only through the pipe.
apply_secrets() {
  local plan names name type args line secret key
  plan="$(secret_plan)"
  names="$(printf '%s\n' "$plan" | awk '!seen[$1]++ { print $1, $2 }')"
  while read -r name type; do
    if [[ "$type" == kubernetes.io/tls ]]; then
      args=(create secret tls "$name" --cert="$FT_STATE_DIR/secrets/$name/tls.crt" --key="$FT_STATE_DIR/secrets/$name/tls.key")
    else
      args=(create secret generic "$name")
      while read -r line; do
        secret=${line%% *}
        [[ "$secret" == "$name" ]] || continue
        key=$(printf '%s' "$line" | awk '{ print $3 }')
        args+=(--from-file="$key=$FT_STATE_DIR/secrets/$name/$key")
      done <<<"$plan"
    fi
    kube -n "$NAMESPACE" "${args[@]}" --dry-run=client -o yaml |
      kube label --local -f - "$STACK_LABEL" -o yaml |
      kube -n "$NAMESPACE" apply -f - >/dev/null
    info "    Secret $name applied"
  done <<<"$names"
}

synth() {
  local out="$FT_STATE_DIR/manifests"
  rm -rf "$out"
  mkdir -p "$FT_STATE_DIR/logs"
  if ! (cd "$ROOT" && FT_SERVICES_CONFIG="$(stack_config_files)" npx --no-install cdk8s synth --check-upgrade=false -o "$out") >"$FT_STATE_DIR/logs/synth.log" 2>&1; then
    cat "$FT_STATE_DIR/logs/synth.log" >&2
    die "cdk8s synth failed"
  fi
  local chart
  for chart in ft-services-namespace ft-services; do
    [[ -f "$out/$chart.k8s.yaml" ]] || die "cdk8s synth wrote no $out/$chart.k8s.yaml"
  done
  info "    manifests in $out"
}

# The MetalLB pool is validated by MetalLB's webhook, which answers some seconds after its pod is
# ready: retry while it warms up.
apply_metallb_chart() {
  local file="$FT_STATE_DIR/manifests/ft-services-metallb.k8s.yaml" attempt
  [[ -f "$file" ]] || return 0
  for attempt in 1 2 3 4 5 6 7 8 9 10 11 12; do
    if kube apply -f "$file" 2>"$FT_STATE_DIR/logs/metallb-apply.log"; then return 0; fi
    info "    MetalLB's webhook is not answering yet (attempt $attempt/12); retrying in 5s"
    sleep 5
  done
  cat "$FT_STATE_DIR/logs/metallb-apply.log" >&2
  die "MetalLB refused the address pool"
}

apply_stack() {
  kube apply -f "$FT_STATE_DIR/manifests/ft-services-namespace.k8s.yaml"
  apply_secrets
  apply_metallb_chart
  kube apply -f "$FT_STATE_DIR/manifests/ft-services.k8s.yaml"
}

wait_for_stack() {
  local workloads workload services service
  workloads="$(kube -n "$NAMESPACE" get deployments,daemonsets -l "$STACK_LABEL" -o name)"
  for workload in $workloads; do
    kube -n "$NAMESPACE" rollout status "$workload" --timeout="$FT_TIMEOUT"
  done
  services="$(kube -n "$NAMESPACE" get services -l "$STACK_LABEL" -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.name}{"\n"}{end}')"
  for service in $services; do
    kube -n "$NAMESPACE" wait "service/$service" --for=jsonpath='{.status.loadBalancer.ingress[0].ip}'="$LB_ADDRESS" --timeout="$FT_TIMEOUT" >/dev/null
  done
  info "    every workload is ready and every public Service has $LB_ADDRESS"
}

print_summary() {
  printf '\n'
  ft summary "$FT_STATE_DIR/secrets"
  cat <<EOF

The certificate is self-signed ($FT_STATE_DIR/secrets/tls/tls.crt): accept it in your browser.

Kubernetes dashboard (S3):
  minikube -p $FT_MINIKUBE_PROFILE dashboard --url     then open the URL it prints (no login needed).
  If a login page asks for a token: kubectl --context $FT_MINIKUBE_PROFILE -n kubernetes-dashboard create token kubernetes-dashboard

Prove every requirement against this cluster: ./setup.sh check
EOF
}

cmd_up() {
  local start=$SECONDS
  run_step "Checking the tools" preflight_tools
  run_step "Installing the cdk8s app's dependencies" install_node_modules
  run_step "Starting minikube (profile $FT_MINIKUBE_PROFILE)" start_cluster
  run_step "Enabling the Kubernetes dashboard" enable_dashboard
  run_step "Choosing the load-balancer address" choose_address
  run_step "Hashing the image sources" compute_image_tags
  write_stack_config
  run_step "Resolving the stack configuration" load_settings
  run_step "Installing MetalLB" install_metallb
  run_step "Building the images that changed" build_images
  run_step "Generating the credentials" generate_credentials "$LB_ADDRESS"
  run_step "Synthesizing the manifests" synth
  run_step "Applying the namespace, the Secrets, the address pool and the stack" apply_stack
  run_step "Waiting for the stack" wait_for_stack
  print_summary
  info ""
  info "ft_services is up in $((SECONDS - start))s."
}

cmd_check() {
  preflight_tools
  [[ -f "$FT_STATE_DIR/config.json" ]] || die "no $FT_STATE_DIR/config.json: run ./setup.sh first"
  FT_KUBECTL="${KUBECTL[*]}" ft check "$FT_STATE_DIR/secrets"
}

cmd_credentials() {
  [[ -d "$FT_STATE_DIR/secrets" ]] || die "no credentials yet in $FT_STATE_DIR/secrets: run ./setup.sh first"
  printf '%s\n\n' "warning: these are the stack's passwords; do not paste them anywhere public." >&2
  ft credentials "$FT_STATE_DIR/secrets"
}

confirm() {
  [[ -n "$FT_ASSUME_YES" ]] && return 0
  local answer=""
  printf '%s [y/N] ' "$1"
  read -r answer || true
  [[ "$answer" == y || "$answer" == Y || "$answer" == yes ]]
}

cmd_delete() {
  preflight_tools
  load_settings
  confirm "Delete namespace $NAMESPACE with its volumes (MySQL, WordPress uploads, FTPS files, InfluxDB, Grafana)?" ||
    die "nothing deleted"
  run_step "Deleting namespace $NAMESPACE and its volumes" kube delete namespace "$NAMESPACE" --ignore-not-found --wait=true
  run_step "Deleting the stack's cluster-wide objects" kube delete clusterroles,clusterrolebindings -l "$STACK_LABEL" --ignore-not-found
  local made="$FT_STATE_DIR/made" kind what
  if [[ -f "$made" ]]; then
    while read -r kind what; do
      case "$kind" in
        metallb) run_step "Deleting MetalLB" kube delete -f "$what" --ignore-not-found ;;
        addon) run_step "Disabling the $what add-on" minikube_cmd addons disable "$what" ;;
        image) run_step "Removing image $what" minikube_cmd image rm "$what" ;;
      esac
    done <"$made"
  fi
  rm -rf "$FT_STATE_DIR"
  info "Deleted. The minikube cluster is still there: 'minikube -p $FT_MINIKUBE_PROFILE delete' removes it."
}

on_error() {
  printf 'error: setup stopped (line %s: %s)\n' "$1" "$2" >&2
}

main() {
  local command=up
  while (($# > 0)); do
    case "$1" in
      up | check | credentials | delete) command=$1 ;;
      help | -h | --help) command=help ;;
      --yes | -y) FT_ASSUME_YES=1 ;;
      --config)
        (($# >= 2)) || die "--config needs a file"
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
  trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR
  case "$command" in
    up) cmd_up ;;
    check) cmd_check ;;
    credentials) cmd_credentials ;;
    delete) cmd_delete ;;
    help) usage ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi

# shellcheck shell=bash
# What every script of the CI cluster shares: its names, addresses and folders, each stated once.
# Sourced by .ci/cluster/{up,down,node,user,node-init}, which use what each needs of it.
# shellcheck disable=SC2034

cluster_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Three network namespaces, as minikube's docker network puts the user's machine beside the node:
# a "lan" holding only a bridge, the node, and the user. 198.18.0.0/15 is set aside for test
# networks (RFC 2544); the machine's own interface is in 192.0.2.0/24. No namespace gets a default
# route and the machine's own namespace is not connected: nothing can leave.
# FT_CLUSTER_NAME names one cluster's namespaces, folders and cgroups, so that two can run on one
# machine at once (the addresses repeat: each cluster's are inside its own namespaces).
FT_CLUSTER_NAME="${FT_CLUSTER_NAME:-ftk}"
[[ $FT_CLUSTER_NAME =~ ^[a-z][a-z0-9]{0,7}$ ]] ||
  { echo "FT_CLUSTER_NAME '$FT_CLUSTER_NAME': use 1 to 8 lower-case letters and digits, a letter first" >&2; exit 2; }
readonly LAN_NETNS=$FT_CLUSTER_NAME-lan NODE_NETNS=$FT_CLUSTER_NAME-node USER_NETNS=$FT_CLUSTER_NAME-user
readonly NODE_IP=198.18.0.2 USER_IP=198.18.0.1 LAN_PREFIX=24
# minikube's names: setup.sh talks to profile and context "minikube", and minikube names its one
# node after the profile.
readonly NODE_NAME=minikube CONTEXT=minikube
readonly POD_CIDR=10.244.0.0/16 NODE_POD_CIDR=10.244.0.0/24 POD_GATEWAY=10.244.0.1
readonly SERVICE_CIDR=10.96.0.0/16 API_SERVICE_IP=10.96.0.1 DNS_SERVICE_IP=10.96.0.10
readonly API_PORT=6443

# Images the node runs that are no service of ours (pack-image builds them from our binaries).
readonly PAUSE_IMAGE=registry.k8s.io/pause:3.10
readonly COREDNS_IMAGE=registry.k8s.io/coredns/coredns:v1.15.0
readonly HELPER_IMAGE=ft-services.ci/volume-helper:1

# Runtime state: a tmpfs-free folder (images are large), removed by down; and the small state
# (kubeconfig, PIDs, logs) where callers look for it.
# The default cluster keeps the plain names.
suffix=''
[[ $FT_CLUSTER_NAME == ftk ]] || suffix="-$FT_CLUSTER_NAME"
FT_CLUSTER_STATE="${FT_CLUSTER_STATE:-/run/ft-cluster$suffix}"
readonly NODE_ROOT=/var/lib/ft-cluster$suffix
readonly KUBECONFIG_FILE="$FT_CLUSTER_STATE/kubeconfig"
readonly NODE_PID_FILE="$FT_CLUSTER_STATE/node.pid"
# Machine folders that node programs write to whatever their settings say (the kubelet's pod logs
# and device-plugin folder, the CNI plugins' address and result caches, containerd's opt plugin):
# the node gets a folder of its own over each (node-init), so nothing it writes stays behind.
NODE_PRIVATE_DIRS=(/var/lib/kubelet /var/lib/cni /var/log/pods /var/log/containers /opt/containerd /etc/cni)
# The kubelet's cgroup parent, made in every hierarchy, so that one subtree goes at the end.
readonly CGROUP_PARENT=$FT_CLUSTER_NAME-node

cluster_bin_dir() { "$cluster_dir/build" --bin-dir; }

# CI runs the MetalLB that setup.sh installs for users: the version is read from its URL there.
metallb_version() {
  sed -n 's|^FT_METALLB_URL=.*/metallb/\(v[0-9.]*\)/config/.*|\1|p' "$cluster_dir/../../setup.sh"
}

# node_pid: the node's PID 1 as the machine sees it, or nothing when no node runs.
node_pid() {
  local pid
  pid="$(cat "$NODE_PID_FILE" 2>/dev/null)" || return 0
  [[ -n $pid && -d /proc/$pid ]] && echo "$pid"
  return 0
}

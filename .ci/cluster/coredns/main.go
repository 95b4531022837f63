// CoreDNS for the CI cluster's DNS, with only the plugins a cluster DNS needs. CoreDNS's own main
// (coredns.go at v1.15.0) imports core/plugin, which registers every plugin and pulls in every
// cloud SDK; each plugin registers itself in its package's init, so importing fewer is enough.
// No `forward`: nothing in the cluster may resolve outside names (the machine's resolver is outside).
package main

import (
	_ "github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() {
	coremain.Run()
}

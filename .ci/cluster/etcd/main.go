// etcd for the CI cluster's API server: etcd's own server main (go.etcd.io/etcd/server/v3 main.go at
// v3.6.17), built from a module of ours because the server module's `replace` directives point at
// sibling folders of etcd's repository, which `go install …@version` refuses.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

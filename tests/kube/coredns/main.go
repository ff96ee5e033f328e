// Command coredns is CoreDNS v1.12.1 (pinned in go.mod) with only the plugins the test
// node's cluster DNS uses, as CoreDNS documents for compile-time plugin selection: no
// forward/proxy plugin is even compiled in, so this DNS can never ask a server outside
// the machine, and the cloud backends' SDKs stay out of the build.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The order plugins run in (CoreDNS's plugin.cfg order, restricted to the ones above).
var directives = []string{"reload", "health", "ready", "errors", "log", "cache", "kubernetes"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }

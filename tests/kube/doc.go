// Package kube holds no code: this module only pins the test node's Kubernetes binaries
// (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy from
// k8s.io/kubernetes v1.33.0 with its staging modules at v0.33.0) as `tool` directives in
// go.mod; ./coredns and ./local-path pin the add-ons. tests/env/kube-build.sh builds them;
// keeping them in their own modules keeps k8s.io/kubernetes out of every other go.mod.
package kube

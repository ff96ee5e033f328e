// Package kube holds no code: this module only pins the control-plane binaries the
// real-cluster test runs (k8s.io/kubernetes v1.33.0 with its staging modules at v0.33.0,
// and sigs.k8s.io/kwok v0.7.0) as `tool` directives in go.mod. tests/env/kube-build.sh builds
// them; keeping them in their own module keeps k8s.io/kubernetes out of every other go.mod.
package kube

// Package imageref reads and writes the image references a stack exports
// (repository[:tag]@sha256:<digest>), which promotion deploys without rebuilding.
package imageref

import (
	"fmt"
	"regexp"
	"strings"
)

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Ref is an image reference split into its parts.
type Ref struct {
	Repository string // e.g. registry.example.com/team/todo-backend
	Tag        string // may be empty
	Digest     string // "sha256:<64 hex>", may be empty
}

func (r Ref) String() string {
	s := r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Parse splits repository[:tag][@digest]. A ':' is a tag separator only after the last
// '/', so a registry port (host:5000/name) is kept in the repository.
func Parse(ref string) (Ref, error) {
	var r Ref
	rest, digest, hasDigest := strings.Cut(ref, "@")
	if hasDigest {
		if !digestRE.MatchString(digest) {
			return Ref{}, fmt.Errorf("image reference %q: digest %q is not sha256:<64 hex>", ref, digest)
		}
		r.Digest = digest
	}
	r.Repository = rest
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		r.Repository, r.Tag = rest[:i], rest[i+1:]
	}
	if r.Repository == "" || strings.ContainsAny(r.Repository, " \t") {
		return Ref{}, fmt.Errorf("image reference %q has no valid repository", ref)
	}
	return r, nil
}

// Pinned is the reference a stack exports for a built image: imageName is the
// repository:tag the image was built as, repoDigest what pulumi-docker reports, which is
// repository@sha256:... for a pushed image and the local image ID (sha256:...) for an
// image that was only built into a daemon (Minikube).
func Pinned(imageName, repoDigest string) (string, error) {
	ref, err := Parse(imageName)
	if err != nil {
		return "", err
	}
	digest := repoDigest
	if i := strings.LastIndex(repoDigest, "@"); i >= 0 {
		digest = repoDigest[i+1:]
	}
	if !digestRE.MatchString(digest) {
		return "", fmt.Errorf("image %s: repoDigest %q holds no sha256 digest", imageName, repoDigest)
	}
	ref.Digest = digest
	return ref.String(), nil
}

// Promotable checks that a reference exported by another stack can be deployed elsewhere:
// it is pinned by digest and lives in a registry (has a path, unlike the bare names of
// images built into Minikube's daemon).
func Promotable(ref string) (Ref, error) {
	r, err := Parse(ref)
	if err != nil {
		return Ref{}, err
	}
	if r.Digest == "" {
		return Ref{}, fmt.Errorf("image %q is not pinned by digest (want repository@sha256:...)", ref)
	}
	if !strings.Contains(r.Repository, "/") {
		return Ref{}, fmt.Errorf("image %q is not in a registry: it was built into a local daemon (a Minikube stack), which other clusters cannot pull from", ref)
	}
	return r, nil
}

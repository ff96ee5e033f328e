package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// step is one resource the update changed, with how long the engine spent on it.
type step struct {
	name string // logical name, e.g. backend-image
	typ  string // e.g. docker:index/image:Image
	op   apitype.OpType
	took time.Duration
}

// updateResult is what one `pulumi up` did.
type updateResult struct {
	steps   []step
	outputs auto.OutputMap
	took    time.Duration
	errors  []string // the engine's error diagnostics, for a failed update
	// urns are the URNs of every resource of the update by logical name (for --exclude);
	// imageIDs the repoDigest each rebuilt image reported.
	urns     map[string]string
	imageIDs map[string]string
}

// isImage / isRelease name the resources the dev loop reports on.
func (s step) isImage() bool   { return s.typ == "docker:index/image:Image" }
func (s step) isRelease() bool { return strings.HasPrefix(s.typ, "kubernetes:helm.sh/") }

// rebuilt lists the images the update built.
func (r updateResult) rebuilt() []string {
	var out []string
	for _, s := range r.steps {
		if s.isImage() {
			out = append(out, s.name)
		}
	}
	return out
}

// up runs `pulumi up` on the stack through the Automation API (the real CLI and the Go
// language host, exactly as `make up`), with its progress going to progress, and collects
// what changed from the engine's event stream.
//
// exclude lists URNs the update leaves as they are (`pulumi up --exclude`): make dev's live
// update excludes the image of a component whose pods have files synced since it was built,
// so a rebuild of the other one does not rebuild and roll it too.
func up(ctx context.Context, stack auto.Stack, progress io.Writer, exclude []string) (updateResult, error) {
	ch := make(chan events.EngineEvent)
	var (
		mu      sync.Mutex
		started = map[string]time.Time{}
		res     = updateResult{urns: map[string]string{}, imageIDs: map[string]string{}}
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		for ev := range ch {
			now := time.Now()
			mu.Lock()
			switch {
			case ev.ResourcePreEvent != nil:
				started[ev.ResourcePreEvent.Metadata.URN] = now
				res.urns[urnName(ev.ResourcePreEvent.Metadata.URN)] = ev.ResourcePreEvent.Metadata.URN
			case ev.ResOutputsEvent != nil:
				m := ev.ResOutputsEvent.Metadata
				if m.Op != apitype.OpSame && m.Type != "pulumi:pulumi:Stack" {
					res.steps = append(res.steps, step{name: urnName(m.URN), typ: m.Type, op: m.Op, took: now.Sub(started[m.URN])})
					if m.New != nil && (step{typ: m.Type}).isImage() {
						if id, ok := m.New.Outputs["repoDigest"].(string); ok {
							res.imageIDs[urnName(m.URN)] = id
						}
					}
				}
			case ev.DiagnosticEvent != nil && ev.DiagnosticEvent.Severity == "error":
				res.errors = append(res.errors, strings.TrimSpace(ev.DiagnosticEvent.Message))
			}
			mu.Unlock()
		}
	}()
	t0 := time.Now()
	opts := []optup.Option{optup.EventStreams(ch), optup.ProgressStreams(progress), optup.ErrorProgressStreams(progress)}
	if len(exclude) > 0 {
		opts = append(opts, optup.Exclude(exclude))
	}
	r, err := stack.Up(ctx, opts...)
	<-done // the Automation API closes ch when the CLI has finished
	res.took = time.Since(t0)
	res.outputs = r.Outputs
	sort.SliceStable(res.steps, func(i, j int) bool { return res.steps[i].name < res.steps[j].name })
	return res, err
}

// urnName is the logical name at the end of a URN (urn:pulumi:stack::project::type::name).
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// summary is one line per changed resource, e.g. "backend-image (docker Image) update 2.1s".
func (r updateResult) summary() []string {
	var lines []string
	for _, s := range r.steps {
		typ := s.typ
		if i := strings.LastIndex(typ, ":"); i >= 0 {
			typ = typ[i+1:]
		}
		lines = append(lines, fmt.Sprintf("%s %s (%s) %.1fs", s.op, s.name, typ, s.took.Seconds()))
	}
	return lines
}

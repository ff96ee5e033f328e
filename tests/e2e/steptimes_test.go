//go:build e2e && bench

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// stepTimes times each resource step of a `pulumi up --json`, whose stdout is the engine's
// events, one JSON object per line as they happen: the time from a resource's pre-event to
// its outputs event as the lines arrive (the events' own timestamps are whole seconds), and
// the command's time outside every step (CLI, language host, plugins, program, state).
type stepTimes struct {
	total time.Duration
	steps []step // in the order they finished
}

// step is one resource's step: its logical name and [from, to) since the command started.
type step struct {
	name     string
	from, to time.Duration
}

// lineClock timestamps each line written to it and hands it to on.
type lineClock struct {
	start   time.Time
	pending []byte
	on      func(line []byte, at time.Duration)
}

func (c *lineClock) Write(b []byte) (int, error) {
	c.pending = append(c.pending, b...)
	for {
		i := bytes.IndexByte(c.pending, '\n')
		if i < 0 {
			return len(b), nil
		}
		c.on(c.pending[:i], time.Since(c.start))
		c.pending = c.pending[i+1:]
	}
}

func timedSteps(t *testing.T, e *env, args ...string) stepTimes {
	t.Helper()
	var st stepTimes
	started := map[string]time.Duration{}
	clock := &lineClock{start: time.Now(), on: func(line []byte, at time.Duration) {
		var ev struct {
			ResourcePreEvent *struct{ Metadata struct{ URN string } }
			ResOutputsEvent  *struct {
				Metadata struct{ URN, Op, Type string }
			}
		}
		if json.Unmarshal(line, &ev) != nil {
			return
		}
		switch {
		case ev.ResourcePreEvent != nil:
			started[ev.ResourcePreEvent.Metadata.URN] = at
		// The stack and the component wrapping every resource span the whole program, not
		// a step of their own (and the component shares the release's name).
		case ev.ResOutputsEvent != nil && ev.ResOutputsEvent.Metadata.Op != "same" &&
			ev.ResOutputsEvent.Metadata.Type != "pulumi:pulumi:Stack" &&
			!strings.HasSuffix(ev.ResOutputsEvent.Metadata.Type, ":TodoChatbot"):
			urn := ev.ResOutputsEvent.Metadata.URN
			if from, ok := started[urn]; ok {
				st.steps = append(st.steps, step{urn[strings.LastIndex(urn, "::")+2:], from, at})
			}
		}
	}}
	e.p.tap = clock // written from exec's one stdout goroutine
	defer func() { e.p.tap = nil }()
	e.p.ok(append(args, "--json")...)
	st.total = time.Since(clock.start)
	return st
}

// outside is the command's time during which no resource step ran.
func (s stepTimes) outside() time.Duration {
	spans := append([]step(nil), s.steps...)
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var busy, end time.Duration
	for _, sp := range spans {
		if sp.from > end {
			end = sp.from
		}
		if sp.to > end {
			busy += sp.to - end
			end = sp.to
		}
	}
	return s.total - busy
}

func (s stepTimes) String() string {
	byName := append([]step(nil), s.steps...)
	sort.Slice(byName, func(i, j int) bool { return byName[i].name < byName[j].name })
	var parts []string
	for _, st := range byName {
		parts = append(parts, fmt.Sprintf("%s %s", st.name, r(st.to-st.from)))
	}
	return fmt.Sprintf("%s; outside the steps %s", strings.Join(parts, ", "), r(s.outside()))
}

package infra

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
	"github.com/todo-chatbot/todo-chatbot/infra/manifestdiff"
)

// recordedOutput is the stack output holding the release's objects as the last `pulumi up`
// rendered them, Secret values replaced by fingerprints (manifestdiff.Encode): what a
// preview compares with when the cluster cannot be reached.
const recordedOutput = "releaseObjects"

// objectPlan is the release's rendered objects as the program sees them before declaring
// the release: the change trigger and, in a preview, what the upgrade changes.
type objectPlan struct {
	// digest is the release's change trigger (the chartDigest value): a digest of the
	// rendered objects, unknown while an image it needs is being built.
	digest pulumi.StringInput
	// recorded is manifestdiff.Encode of the objects, exported as recordedOutput.
	recorded pulumi.StringInput
	// report is what the upgrade changes; nil outside a preview.
	report *manifestdiff.Report
}

// planObjects renders the chart with the release's values (chartDigest aside) and, in a
// preview, compares the objects with the deployed release.
//
// The values are read before the release is declared because a preview must print what
// it will do and the release's change trigger must be a plain value: the program waits
// for each Output among them (the images' IDs and digests). In a preview an image this run
// builds has no ID yet; its value renders as manifestdiff.Unknown and is reported as
// such, and the trigger stays unknown, as the image ID in the values does.
//
// Two renders: the trigger's answers the chart's PostgreSQL password lookup with a
// stand-in (an upgrade keeps the deployed password, so the real one changes nothing and
// must not be in the state), the preview's answers every lookup from the deployed release
// so that its objects are the ones the upgrade will send.
func planObjects(ctx *pulumi.Context, c stackConfig, chartPath string, values pulumi.Map) (objectPlan, error) {
	plain, unknown, pending := resolveValues(ctx, values)
	ch, err := loader.Load(chartPath)
	if err != nil {
		return objectPlan{}, fmt.Errorf("the Helm chart %s: %w", chartPath, err)
	}
	rel := manifestdiff.Release{Name: layout.ReleaseName, Namespace: c.Namespace}
	installed, err := manifestdiff.Render(ch, rel, plain, nil)
	if err != nil {
		return objectPlan{}, err
	}
	trigger, err := manifestdiff.Render(ch, rel, plain, standInSecrets(installed))
	if err != nil {
		return objectPlan{}, err
	}
	plan := objectPlan{
		digest:   afterBuilds(pending, manifestdiff.Digest(trigger)),
		recorded: afterBuilds(pending, manifestdiff.Encode(trigger)),
	}
	if !ctx.DryRun() {
		return plan, nil
	}

	report := &manifestdiff.Report{Release: rel.Name, Namespace: rel.Namespace, Unknown: unknown}
	cluster := manifestdiff.Cluster{Kubeconfig: c.kubeconfigPath, Context: c.KubeContext, Timeout: 5 * time.Second}
	manifest, _, found, err := manifestdiff.Deployed(cluster, rel)
	switch {
	case err != nil:
		// One line, and the preview goes on: a preview is for reading, and the
		// provider reports an unreachable cluster itself.
		_ = ctx.Log.Warn(fmt.Sprintf("cannot read release %s/%s from the cluster (%s), so the object preview compares with the objects recorded at the last `pulumi up`",
			rel.Namespace, rel.Name, oneLine(err)), nil)
		previous, ok, err := recordedObjects(ctx)
		if err != nil {
			return objectPlan{}, err
		}
		report.Against, report.Objects = "recorded", manifestdiff.Diff(previous, trigger)
		if !ok {
			report.Against, report.Objects = "nothing", manifestdiff.Diff(nil, trigger)
		}
	case !found:
		report.Against, report.Objects = "nothing", manifestdiff.Diff(nil, installed)
	default:
		deployed, err := manifestdiff.Parse(manifest, rel.Namespace)
		if err != nil {
			return objectPlan{}, fmt.Errorf("the deployed release %s: %w", rel.Name, err)
		}
		upgrade, err := manifestdiff.Render(ch, rel, plain, deployed)
		if err != nil {
			return objectPlan{}, err
		}
		report.Against, report.Objects = "cluster", manifestdiff.Diff(deployed, upgrade)
	}
	plan.report = report
	return plan, nil
}

// show prints the report under the release, for people and, as JSON, for CI: both are
// diagnostics, so they reach `pulumi preview --json` too. Nothing is printed when no
// object changes.
func (p objectPlan) show(ctx *pulumi.Context, release *helmv3.Release) {
	if p.report == nil || (len(p.report.Objects) == 0 && len(p.report.Unknown) == 0) {
		return
	}
	args := &pulumi.LogArgs{Resource: release}
	_ = ctx.Log.Info(p.report.Text(), args)
	_ = ctx.Log.Info(p.report.JSON(), args)
}

// exportObjects records the rendered objects (no Secret value) in the stack. The output
// is itself secret, so the fingerprints are encrypted in the state and a preview's output
// list shows [secret] instead of the whole document.
func (p objectPlan) exportObjects(ctx *pulumi.Context) {
	ctx.Export(recordedOutput, pulumi.ToSecret(p.recorded))
}

// resolveValues waits for the values' Outputs and returns them as plain values. An
// Output unknown in this preview becomes manifestdiff.Unknown; its path is listed in
// unknown and the Output in pending.
func resolveValues(ctx *pulumi.Context, values pulumi.Map) (plain map[string]any, unknown []string, pending []any) {
	var walk func(path string, in pulumi.Input) any
	walk = func(path string, in pulumi.Input) any {
		switch v := in.(type) {
		case pulumi.Map:
			m := map[string]any{}
			for k, e := range v {
				if path == "" && k == "chartDigest" {
					continue // the digest of what is rendered here
				}
				m[k] = walk(strings.TrimPrefix(path+"."+k, "."), e)
			}
			return m
		case pulumi.Array:
			a := make([]any, len(v))
			for i, e := range v {
				a[i] = walk(fmt.Sprintf("%s.%d", path, i), e)
			}
			return a
		case pulumi.StringArray:
			a := make([]any, len(v))
			for i, e := range v {
				a[i] = walk(fmt.Sprintf("%s.%d", path, i), e)
			}
			return a
		case pulumi.String:
			return string(v)
		case pulumi.Int:
			return int(v)
		case pulumi.Bool:
			return bool(v)
		case pulumi.Output:
			r, err := internals.UnsafeAwaitOutput(ctx.Context(), v)
			if err != nil || !r.Known {
				unknown = append(unknown, path)
				pending = append(pending, v)
				return manifestdiff.Unknown
			}
			return r.Value
		}
		panic(fmt.Sprintf("infra: chart value %s is a %T; resolveValues reads Map, Array, StringArray, String, Int, Bool and Outputs", path, in))
	}
	// Through JSON, as the provider hands values to Helm: numbers become float64, which
	// some template functions format differently from int.
	b, err := json.Marshal(walk("", values))
	if err == nil {
		err = json.Unmarshal(b, &plain)
	}
	if err != nil {
		panic("infra: chart values do not encode as JSON: " + err.Error())
	}
	sort.Strings(unknown)
	return plain, unknown, pending
}

// afterBuilds is v once the pending Outputs are known: v itself when none is pending,
// unknown in a preview that builds an image.
func afterBuilds(pending []any, v string) pulumi.StringInput {
	if len(pending) == 0 {
		return pulumi.String(v)
	}
	return pulumi.All(pending...).ApplyT(func([]any) string { return v }).(pulumi.StringOutput)
}

// standInSecrets is the objects with every Secret value replaced by one stand-in, as the
// trigger render's lookups see them: the chart then renders the same PostgreSQL password
// every time instead of a new random one.
func standInSecrets(objs []manifestdiff.Object) []manifestdiff.Object {
	standIn := base64.StdEncoding.EncodeToString([]byte("stand-in, kept from the deployed release"))
	out := manifestdiff.Redact(objs)
	for _, o := range out {
		if o.Kind != "Secret" {
			continue
		}
		if m, ok := o.Body["data"].(map[string]any); ok {
			for k := range m {
				m[k] = standIn
			}
		}
	}
	return out
}

// recordedObjects reads what the last `pulumi up` of this stack recorded (ok is false
// when nothing was), through a reference to the stack itself.
func recordedObjects(ctx *pulumi.Context) ([]manifestdiff.Object, bool, error) {
	self := ctx.Organization() + "/" + ctx.Project() + "/" + ctx.Stack()
	ref, err := pulumi.NewStackReference(ctx, "recorded-release-objects", &pulumi.StackReferenceArgs{Name: pulumi.String(self)})
	if err != nil {
		return nil, false, err
	}
	r, err := internals.UnsafeAwaitOutput(context.Background(), ref.GetOutput(pulumi.String(recordedOutput)))
	s, _ := r.Value.(string)
	if err != nil || s == "" {
		return nil, false, nil
	}
	objs, err := manifestdiff.Decode(s)
	return objs, err == nil, nil
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

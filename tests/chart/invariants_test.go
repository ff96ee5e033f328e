package chart

import (
	"encoding/base64"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// TestScenarios renders every realistic value set and checks what must hold for all of
// them: strict decoding (done by render), Pod Security "restricted", labels, selectors,
// hardening, secret wiring and that no secret leaks outside a Secret.
func TestScenarios(t *testing.T) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := mustRender(t, sc.values, sc.extra)
			t.Run("kinds", func(t *testing.T) { checkKinds(t, r, sc.kinds) })
			t.Run("pod-security-restricted", func(t *testing.T) { checkRestricted(t, r, evaluator) })
			t.Run("labels", func(t *testing.T) { checkLabels(t, r) })
			t.Run("selectors", func(t *testing.T) { checkSelectors(t, r) })
			t.Run("hardening", func(t *testing.T) { checkHardening(t, r) })
			t.Run("high-uid-gid", func(t *testing.T) { checkHighIDs(t, r) })
			t.Run("distinct-probes", func(t *testing.T) { checkDistinctProbes(t, r) })
			if !sc.networkPolicyOff { // else "kinds" checks that none is rendered
				t.Run("network-policies", func(t *testing.T) { checkNetworkPolicyCoverage(t, r) })
			}
			t.Run("secret-wiring", func(t *testing.T) { checkSecretWiring(t, r, sc.secretName) })
			t.Run("no-secret-outside-secret", func(t *testing.T) { checkNoLeak(t, r, sc.secrets) })
		})
	}
}

func checkKinds(t *testing.T, r *rendered, want map[string]int) {
	got := map[string]int{}
	for _, o := range r.Objects {
		got[o.Obj.GetObjectKind().GroupVersionKind().Kind]++
	}
	for kind, n := range want {
		if got[kind] != n {
			t.Errorf("%d %s objects, want %d (rendered: %v)", got[kind], kind, n, r.names())
		}
	}
	for kind, n := range got {
		if _, ok := want[kind]; !ok {
			t.Errorf("unexpected %d %s objects (rendered: %v)", n, kind, r.names())
		}
	}
}

// checkRestricted runs the Pod Security admission library's own checks at the "restricted"
// level, latest version, over every pod the chart can create.
func checkRestricted(t *testing.T, r *rendered, evaluator policy.Evaluator) {
	level := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	pods := podTemplates(r)
	if len(pods) == 0 {
		t.Fatal("no pod templates rendered")
	}
	for _, p := range pods {
		for _, result := range evaluator.EvaluatePod(level, &p.Meta, &p.Spec) {
			if !result.Allowed {
				t.Errorf("%s violates Pod Security restricted: %s: %s", p.Owner, result.ForbiddenReason, result.ForbiddenDetail)
			}
		}
	}
}

var recommendedLabels = []string{
	"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
	"app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "helm.sh/chart",
}

func checkLabels(t *testing.T, r *rendered) {
	for _, o := range r.Objects {
		m, _ := meta.Accessor(o.Obj)
		for _, key := range recommendedLabels {
			if m.GetLabels()[key] == "" {
				t.Errorf("%s/%s lacks label %s", o.Obj.GetObjectKind().GroupVersionKind().Kind, m.GetName(), key)
			}
		}
		if m.GetLabels()["app.kubernetes.io/instance"] != releaseName || m.GetLabels()["app.kubernetes.io/managed-by"] != "Helm" {
			t.Errorf("%s has labels %v, want instance=%s managed-by=Helm", m.GetName(), m.GetLabels(), releaseName)
		}
	}
	for _, p := range podTemplates(r) {
		for _, key := range recommendedLabels {
			if p.Meta.Labels[key] == "" {
				t.Errorf("pods of %s lack label %s", p.Owner, key)
			}
		}
	}
}

// checkSelectors: each workload selects its own pods and only on the stable selector
// labels (never the version or chart labels, which would make upgrades impossible); each
// Service and PodDisruptionBudget selects the pods of exactly one workload.
func checkSelectors(t *testing.T, r *rendered) {
	var workloads []podTemplate
	for _, p := range podTemplates(r) {
		if p.Selector == nil {
			continue
		}
		workloads = append(workloads, p)
		sel, err := metav1.LabelSelectorAsSelector(p.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(labels.Set(p.Meta.Labels)) {
			t.Errorf("%s: selector %v does not match its pod labels %v", p.Owner, p.Selector, p.Meta.Labels)
		}
		for key := range p.Selector.MatchLabels {
			if key == "app.kubernetes.io/version" || key == "helm.sh/chart" {
				t.Errorf("%s selects on %s, which changes between releases", p.Owner, key)
			}
		}
	}
	matching := func(sel labels.Selector) []string {
		var owners []string
		for _, w := range workloads {
			if sel.Matches(labels.Set(w.Meta.Labels)) {
				owners = append(owners, w.Owner)
			}
		}
		return owners
	}
	for _, svc := range all[*corev1.Service](r) {
		if got := matching(labels.SelectorFromSet(svc.Spec.Selector)); len(got) != 1 {
			t.Errorf("Service %s selects the pods of %v, want exactly one workload", svc.Name, got)
		}
	}
	for _, pdb := range allPDBs(r) {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if got := matching(sel); len(got) != 1 {
			t.Errorf("PodDisruptionBudget %s selects the pods of %v, want exactly one workload", pdb.Name, got)
		}
	}
	// A spread constraint counts the pods of its own workload, and only those: one that
	// selected another component's pods would spread the two around each other.
	for _, p := range workloads {
		for i, c := range p.Spec.TopologySpreadConstraints {
			sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
			if err != nil {
				t.Fatal(err)
			}
			if got := matching(sel); len(got) != 1 || got[0] != p.Owner {
				t.Errorf("%s: topologySpreadConstraints[%d] selects the pods of %v, want only its own", p.Owner, i, got)
			}
			// The API server rejects a key in both (and matchLabelKeys without labelSelector).
			for _, key := range c.MatchLabelKeys {
				if _, ok := c.LabelSelector.MatchLabels[key]; ok {
					t.Errorf("%s: topologySpreadConstraints[%d]: %s is in both matchLabelKeys and labelSelector", p.Owner, i, key)
				}
			}
		}
	}
}

// checkHardening: what Pod Security "restricted" does not itself require but the issue does.
func checkHardening(t *testing.T, r *rendered) {
	for _, p := range podTemplates(r) {
		if p.Spec.AutomountServiceAccountToken == nil || *p.Spec.AutomountServiceAccountToken {
			t.Errorf("%s: automountServiceAccountToken is not false", p.Owner)
		}
		volumes := map[string]corev1.Volume{}
		for _, v := range p.Spec.Volumes {
			volumes[v.Name] = v
		}
		for _, c := range allContainers(p.Spec) {
			where := p.Owner + " container " + c.Name
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: readOnlyRootFilesystem is not true", where)
			}
			if c.ImagePullPolicy != corev1.PullIfNotPresent {
				t.Errorf("%s: imagePullPolicy %q, want IfNotPresent (images are built locally)", where, c.ImagePullPolicy)
			}
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[res]; !ok {
					t.Errorf("%s: no %s request", where, res)
				}
				if _, ok := c.Resources.Limits[res]; !ok {
					t.Errorf("%s: no %s limit", where, res)
				}
			}
			for _, m := range c.VolumeMounts {
				v, ok := volumes[m.Name]
				if !ok && !isClaimTemplate(r, p.Owner, m.Name) {
					t.Errorf("%s mounts %q, which is no volume of the pod", where, m.Name)
				}
				if ok && v.EmptyDir == nil {
					t.Errorf("%s: writable mount %s is not an emptyDir", where, m.MountPath)
				}
			}
		}
	}
}

// checkHighIDs: every container runs as a UID and GID above 10000 (no clash with a host
// account, the scorer's threshold), and volumes are group-owned by such a GID.
func checkHighIDs(t *testing.T, r *rendered) {
	const floor = 10000
	for _, p := range podTemplates(r) {
		psc := p.Spec.SecurityContext
		if psc == nil {
			psc = &corev1.PodSecurityContext{}
		}
		if psc.FSGroup != nil && *psc.FSGroup <= floor {
			t.Errorf("%s: fsGroup %d, want > %d", p.Owner, *psc.FSGroup, floor)
		}
		for _, c := range allContainers(p.Spec) {
			uid, gid := psc.RunAsUser, psc.RunAsGroup
			if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
				uid = c.SecurityContext.RunAsUser
			}
			if c.SecurityContext != nil && c.SecurityContext.RunAsGroup != nil {
				gid = c.SecurityContext.RunAsGroup
			}
			if uid == nil || *uid <= floor || gid == nil || *gid <= floor {
				t.Errorf("%s container %s runs as uid %v gid %v, want both set and > %d", p.Owner, c.Name, deref(uid), deref(gid), floor)
			}
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return "unset"
	}
	return *p
}

func isClaimTemplate(r *rendered, owner, name string) bool {
	for _, s := range allStatefulSets(r) {
		for _, pvc := range s.Spec.VolumeClaimTemplates {
			if "StatefulSet/"+s.Name == owner && pvc.Name == name {
				return true
			}
		}
	}
	return false
}

// checkSecretWiring: the backend (app and migrations) reads DATABASE_URL and GEMINI_API_KEY
// from the Secret through secretKeyRef, never as literal values.
func checkSecretWiring(t *testing.T, r *rendered, secretName string) {
	backend := find[*appsDeployment](t, r, releaseName+"-backend")
	for _, c := range allContainers(backend.Spec.Template.Spec) {
		for _, key := range []string{"DATABASE_URL", "GEMINI_API_KEY"} {
			e, ok := envVar(c, key)
			if !ok {
				t.Errorf("backend container %s has no %s", c.Name, key)
				continue
			}
			ref := e.ValueFrom
			if e.Value != "" || ref == nil || ref.SecretKeyRef == nil {
				t.Errorf("backend container %s: %s is not read through secretKeyRef", c.Name, key)
				continue
			}
			if ref.SecretKeyRef.Name != secretName || ref.SecretKeyRef.Key != key {
				t.Errorf("backend container %s: %s comes from %s/%s, want %s/%s", c.Name, key,
					ref.SecretKeyRef.Name, ref.SecretKeyRef.Key, secretName, key)
			}
		}
	}
	if secretName == releaseName+"-secrets" {
		s := find[*corev1.Secret](t, r, secretName)
		if len(s.Data) != 2 || s.Data["DATABASE_URL"] == nil || s.Data["GEMINI_API_KEY"] == nil {
			t.Errorf("Secret %s has keys %v, want exactly DATABASE_URL and GEMINI_API_KEY", secretName, keys(s.Data))
		}
		if len(s.Data["DATABASE_URL"]) == 0 {
			t.Errorf("Secret %s: DATABASE_URL is empty", secretName)
		}
	}
}

// checkNoLeak: each secret value, plain or base64, appears in no object but a Secret, and
// not in the NOTES.
func checkNoLeak(t *testing.T, r *rendered, secrets []string) {
	secrets = append(secrets, r.generatedSecrets()...)
	for _, secret := range secrets {
		forms := []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))}
		for _, o := range r.Objects {
			if _, isSecret := o.Obj.(*corev1.Secret); isSecret {
				continue
			}
			for _, f := range forms {
				if strings.Contains(o.YAML, f) {
					t.Errorf("a secret value appears in %s (%s)", metaName(o.Obj), o.Source)
				}
			}
		}
		for _, f := range forms {
			if strings.Contains(r.Notes, f) {
				t.Errorf("a secret value appears in NOTES.txt")
			}
		}
	}
}

// generatedSecrets returns the in-cluster PostgreSQL password, when one was generated.
func (r *rendered) generatedSecrets() []string {
	for _, s := range all[*corev1.Secret](r) {
		if s.Name == releaseName+"-postgresql" {
			return []string{string(s.Data["password"])}
		}
	}
	return nil
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

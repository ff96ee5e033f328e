package chart

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func metaName(o runtime.Object) string {
	m, err := meta.Accessor(o)
	if err != nil {
		return ""
	}
	return m.GetName()
}

// podTemplate is one pod the chart makes, from a workload's template or a bare Pod.
type podTemplate struct {
	Owner    string // Kind/name of the object holding it
	Meta     metav1.ObjectMeta
	Spec     corev1.PodSpec
	Selector *metav1.LabelSelector // nil for a bare Pod
}

func podTemplates(r *rendered) []podTemplate {
	var out []podTemplate
	for _, o := range r.Objects {
		switch v := o.Obj.(type) {
		case *appsv1.Deployment:
			out = append(out, podTemplate{"Deployment/" + v.Name, v.Spec.Template.ObjectMeta, v.Spec.Template.Spec, v.Spec.Selector})
		case *appsv1.StatefulSet:
			out = append(out, podTemplate{"StatefulSet/" + v.Name, v.Spec.Template.ObjectMeta, v.Spec.Template.Spec, v.Spec.Selector})
		case *corev1.Pod:
			out = append(out, podTemplate{"Pod/" + v.Name, v.ObjectMeta, v.Spec, nil})
		}
	}
	return out
}

// allContainers is the pod's init and app containers.
func allContainers(spec corev1.PodSpec) []corev1.Container {
	return append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
}

func container(spec corev1.PodSpec, name string) (corev1.Container, bool) {
	for _, c := range allContainers(spec) {
		if c.Name == name {
			return c, true
		}
	}
	return corev1.Container{}, false
}

func envVar(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

type appsDeployment = appsv1.Deployment

func allStatefulSets(r *rendered) []*appsv1.StatefulSet { return all[*appsv1.StatefulSet](r) }

func allPDBs(r *rendered) []*policyv1.PodDisruptionBudget {
	return all[*policyv1.PodDisruptionBudget](r)
}

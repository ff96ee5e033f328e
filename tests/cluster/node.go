package cluster

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kwokAnnotation marks the nodes kwok simulates (kwok runs with
// --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake).
const kwokAnnotation = "kwok.x-k8s.io/node"

// addNode registers the one simulated node, sized like a default `minikube start`
// (2 CPUs, 4 GiB), so resource requests are checked against a realistic capacity. kwok
// marks it Ready; the node.kubernetes.io/not-ready taint that TaintNodesByCondition puts
// on every new node is then removed, so pods can be scheduled.
func (c *Cluster) addNode(ctx context.Context) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("2"),
		corev1.ResourceMemory:           resource.MustParse("4Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("20Gi"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        NodeName,
			Annotations: map[string]string{kwokAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
				"type": "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if _, err := c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", NodeName, err)
	}
	removedByHarness := false
	err := waitFor("node "+NodeName+" Ready and without the not-ready taint", 90*time.Second, nil, func() error {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !nodeReady(n) {
			return fmt.Errorf("node not Ready yet (is kwok running? see %s)", c.dir+"/kwok.log")
		}
		i := slices.IndexFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeNotReady })
		if i < 0 {
			return nil
		}
		// The node lifecycle controller removes it too, but only on its next pass; removing
		// it as soon as kwok reports Ready saves seconds on every run.
		n.Spec.Taints = slices.Delete(n.Spec.Taints, i, i+1)
		if _, err := c.Client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
			return err
		}
		removedByHarness = true
		return fmt.Errorf("taint just removed; checking it stays removed")
	})
	if err == nil && removedByHarness {
		c.notes = append(c.notes, "node.kubernetes.io/not-ready taint removed by the harness once kwok reported the node Ready")
	}
	return err
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Minikube's default StorageClass and the provisioner name its storage-provisioner uses.
const (
	storageClass = "standard"
	provisioner  = "k8s.io/minikube-hostpath"
)

// addStorage creates Minikube's default StorageClass "standard" and starts a minimal
// stand-in for Minikube's storage-provisioner: it creates a hostPath PersistentVolume
// pre-bound to each pending claim of that class (the real PV controller in
// kube-controller-manager then binds them), and deletes released volumes, as the
// reclaim policy Delete says. No data is ever written: kwok runs no containers.
func (c *Cluster) addStorage(ctx context.Context) error {
	immediate := storagev1.VolumeBindingImmediate
	deletePolicy := corev1.PersistentVolumeReclaimDelete
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        storageClass,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:       provisioner,
		ReclaimPolicy:     &deletePolicy,
		VolumeBindingMode: &immediate,
	}
	if _, err := c.Client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create StorageClass %s: %w", storageClass, err)
	}
	pctx, cancel := context.WithCancel(context.Background())
	c.stopProvisioner = cancel
	go func() {
		for pctx.Err() == nil {
			c.provisionOnce(pctx)
			select {
			case <-pctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	return nil
}

func (c *Cluster) provisionOnce(ctx context.Context) {
	claims, err := c.Client.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, pvc := range claims.Items {
		if pvc.Status.Phase != corev1.ClaimPending || pvc.Spec.VolumeName != "" || pvc.DeletionTimestamp != nil ||
			pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != storageClass {
			continue
		}
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{
				Name:        "pvc-" + string(pvc.UID),
				Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": provisioner},
			},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
				AccessModes:                   pvc.Spec.AccessModes,
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
				StorageClassName:              storageClass,
				VolumeMode:                    pvc.Spec.VolumeMode,
				ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
					Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
				PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
					Path: "/tmp/hostpath-provisioner/" + pvc.Namespace + "/" + pvc.Name}},
			},
		}
		if _, err := c.Client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			continue
		}
	}
	volumes, err := c.Client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, pv := range volumes.Items {
		if pv.Status.Phase == corev1.VolumeReleased && pv.Annotations["pv.kubernetes.io/provisioned-by"] == provisioner &&
			pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete {
			_ = c.Client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{})
		}
	}
}

// httpOK returns nil when url (etcd's plain-HTTP loopback health endpoint) answers 200.
func httpOK(url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

//go:build cluster

package cluster

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"helm.sh/helm/v3/pkg/release"
)

// verifyRelease checks what an installed or upgraded release must be:
// deployed, workloads Available with the configured replicas and images, the migration
// step, Services, Secret contents and their secretKeyRef wiring, and Pod Security.
func verifyRelease(k Kube, st stack, rel *release.Release) {
	k.T.Helper()
	if rel.Info.Status != release.StatusDeployed {
		k.T.Errorf("release %s revision %d is %q, want deployed", rel.Name, rel.Version, rel.Info.Status)
	}
	s := st.settings
	k.expectAvailable(backendName, s.BackendReplicas)
	k.expectAvailable(frontendName, s.FrontendReplicas)
	verifyImages(k, st)
	if s.InClusterPostgres() {
		k.expectStatefulSetReady(postgresName, 1)
		verifyBoundClaim(k)
	} else {
		k.expectAbsent("StatefulSet", postgresName, func() error {
			_, err := k.Client.AppsV1().StatefulSets(k.NS).Get(k.Ctx(), postgresName, metav1.GetOptions{})
			return err
		})
	}
	verifyMigration(k, rel)
	verifyServices(k, st)
	databaseURL := verifySecret(k, st)
	verifySecretRefs(k, st, databaseURL)
	verifyPodSecurity(k, st)
	verifyContainersRun(k, st)
}

// verifyContainersRun checks what only a real node shows: every container of every pod of
// the release is running, never restarted, and Ready through its real probes, from the
// image the program built, with the hardened security context.
func verifyContainersRun(k Kube, st stack) {
	k.T.Helper()
	wantImage := map[string]string{"backend": st.builtBackend, "frontend": st.builtFrontend}
	for _, component := range []string{"backend", "frontend", "postgresql"} {
		for _, p := range k.pods(component) {
			if p.Status.Phase != corev1.PodRunning {
				continue // verifyPodSecurity counts the Running pods
			}
			for _, cs := range p.Status.ContainerStatuses {
				switch {
				case cs.State.Running == nil || !cs.Ready:
					k.T.Errorf("pod %s container %s is not running and Ready: %+v", p.Name, cs.Name, cs.State)
				case cs.RestartCount > 0:
					// The migration initContainer waits for the database itself and the probes
					// allow for start-up, so a restart of a serving container is a crash or a
					// failed liveness probe: a defect, not start-up noise.
					k.T.Errorf("pod %s container %s restarted %d time(s); last termination: %s", p.Name, cs.Name, cs.RestartCount, lastTermination(cs))
				}
				if id := wantImage[component]; id != "" && !strings.HasSuffix(cs.ImageID, id) {
					k.T.Errorf("pod %s container %s runs image %s, want the built %s", p.Name, cs.Name, cs.ImageID, id)
				}
			}
			for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
				sc := c.SecurityContext
				if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
					sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					k.T.Errorf("pod %s container %s runs without the hardened security context (read-only root, no privilege escalation): %+v", p.Name, c.Name, sc)
				}
			}
		}
	}
}

// lastTermination says why a container last stopped (reason, exit code, message).
func lastTermination(cs corev1.ContainerStatus) string {
	if term := cs.LastTerminationState.Terminated; term != nil {
		return fmt.Sprintf("%s, exit code %d %s", term.Reason, term.ExitCode, strings.TrimSpace(term.Message))
	}
	return "not recorded"
}

// verifyImages checks that the pods run the images the program built: repository:tag from
// the settings and the image ID as the pod-template annotation that rolls rebuilt tags.
func verifyImages(k Kube, st stack) {
	k.T.Helper()
	for _, c := range []struct{ deployment, container, image, id string }{
		{backendName, "backend", st.settings.ImageRepository("todo-backend") + ":" + st.settings.ImageTag, st.backendID},
		{frontendName, "frontend", st.settings.ImageRepository("todo-frontend") + ":" + st.settings.ImageTag, st.frontendID},
	} {
		tmpl := k.Deployment(c.deployment).Spec.Template
		i := slices.IndexFunc(tmpl.Spec.Containers, func(x corev1.Container) bool { return x.Name == c.container })
		if i < 0 {
			k.T.Errorf("Deployment %s has no container %q", c.deployment, c.container)
			continue
		}
		if got := tmpl.Spec.Containers[i].Image; got != c.image {
			k.T.Errorf("Deployment %s runs image %q, want %q", c.deployment, got, c.image)
		}
		if got := tmpl.Annotations["todo-chatbot/image-id"]; got != c.id {
			k.T.Errorf("Deployment %s pod annotation todo-chatbot/image-id = %q, want %q", c.deployment, got, c.id)
		}
	}
}

func verifyBoundClaim(k Kube) {
	k.T.Helper()
	claims, err := k.Client.CoreV1().PersistentVolumeClaims(k.NS).List(k.Ctx(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/component=postgresql"})
	if err != nil {
		k.T.Fatal(err)
	}
	if len(claims.Items) != 1 || claims.Items[0].Status.Phase != corev1.ClaimBound {
		k.T.Errorf("want one Bound PostgreSQL PersistentVolumeClaim, got %d: %v", len(claims.Items), claimPhases(claims.Items))
	}
}

func claimPhases(claims []corev1.PersistentVolumeClaim) []string {
	var out []string
	for _, c := range claims {
		out = append(out, c.Name+"="+string(c.Status.Phase))
	}
	return out
}

// verifyMigration finds the migration step (`python3 -m app.migrate`) either as a Helm hook
// Job, which must have completed before the Deployments were created, or as an
// initContainer of the backend pods, which must have completed in every running pod.
func verifyMigration(k Kube, rel *release.Release) {
	k.T.Helper()
	found := false
	for _, h := range rel.Hooks {
		if h.Kind != "Job" || !strings.Contains(h.Manifest, "app.migrate") {
			continue
		}
		found = true
		job, err := k.Client.BatchV1().Jobs(k.NS).Get(k.Ctx(), h.Name, metav1.GetOptions{})
		if err != nil {
			k.T.Errorf("migration hook Job %s: %v", h.Name, err)
			continue
		}
		d := k.Deployment(backendName)
		if job.Status.Succeeded < 1 || job.Status.CompletionTime == nil {
			k.T.Errorf("migration hook Job %s did not complete: %+v", h.Name, job.Status)
		} else if job.Status.CompletionTime.After(d.CreationTimestamp.Time) {
			k.T.Errorf("migration hook Job %s completed at %s, after Deployment %s was created at %s",
				h.Name, job.Status.CompletionTime, backendName, d.CreationTimestamp)
		}
	}
	tmpl := k.Deployment(backendName).Spec.Template.Spec
	for _, ic := range tmpl.InitContainers {
		if !strings.Contains(strings.Join(slices.Concat(ic.Command, ic.Args), " "), "app.migrate") {
			continue
		}
		found = true
		if main := tmpl.Containers[0]; ic.Image != main.Image {
			k.T.Errorf("migration initContainer runs %q, the backend %q: it must be the same image", ic.Image, main.Image)
		}
		if ref := secretRef(ic.Env, "DATABASE_URL"); ref == nil || ref.Name != secretName || ref.Key != "DATABASE_URL" {
			k.T.Errorf("migration initContainer does not read DATABASE_URL from Secret %s: %+v", secretName, ref)
		}
		for _, p := range k.pods("backend") {
			i := slices.IndexFunc(p.Status.InitContainerStatuses, func(s corev1.ContainerStatus) bool { return s.Name == ic.Name })
			if i < 0 || p.Status.InitContainerStatuses[i].State.Terminated == nil ||
				p.Status.InitContainerStatuses[i].State.Terminated.ExitCode != 0 {
				k.T.Errorf("pod %s: migration initContainer %s has not completed: %+v", p.Name, ic.Name, p.Status.InitContainerStatuses)
			}
		}
	}
	if !found {
		k.T.Error("no migration step: neither a hook Job nor a backend initContainer runs `python3 -m app.migrate`")
	}
}

// verifyServices checks each Service's type and port against the seed's contract, and that
// it really reaches the component's ready pods (EndpointSlices).
func verifyServices(k Kube, st stack) {
	k.T.Helper()
	type want struct {
		name      string
		typ       corev1.ServiceType
		port      int32
		headless  bool
		endpoints int
		nodePort  int
	}
	wants := []want{
		{backendName, corev1.ServiceTypeClusterIP, 8000, false, st.settings.BackendReplicas, 0},
		{frontendName, corev1.ServiceTypeNodePort, 3000, false, st.settings.FrontendReplicas, st.settings.FrontendNodePort},
	}
	if st.settings.InClusterPostgres() {
		wants = append(wants, want{postgresName, corev1.ServiceTypeClusterIP, 5432, true, 1, 0})
	}
	for _, w := range wants {
		svc, err := k.Client.CoreV1().Services(k.NS).Get(k.Ctx(), w.name, metav1.GetOptions{})
		if err != nil {
			k.T.Errorf("Service %s: %v", w.name, err)
			continue
		}
		if svc.Spec.Type != w.typ {
			k.T.Errorf("Service %s is %s, want %s", w.name, svc.Spec.Type, w.typ)
		}
		if w.headless != (svc.Spec.ClusterIP == corev1.ClusterIPNone) {
			k.T.Errorf("Service %s: clusterIP %q, headless wanted: %v", w.name, svc.Spec.ClusterIP, w.headless)
		}
		i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == w.port })
		if i < 0 {
			k.T.Errorf("Service %s has no port %d: %+v", w.name, w.port, svc.Spec.Ports)
			continue
		}
		if np := int(svc.Spec.Ports[i].NodePort); w.typ == corev1.ServiceTypeNodePort {
			if (w.nodePort != 0 && np != w.nodePort) || np < 30000 || np > 32767 {
				k.T.Errorf("Service %s node port %d, want %d (0 = any in 30000-32767)", w.name, np, w.nodePort)
			}
		}
		if err := k.eventually(15*time.Second, func() error {
			n, err := k.readyEndpoints(w.name)
			if err == nil && n != w.endpoints {
				return fmt.Errorf("%d ready endpoints, want %d", n, w.endpoints)
			}
			return err
		}); err != nil {
			k.T.Errorf("Service %s does not reach its pods: %v", w.name, err)
		}
	}
}

// verifySecret checks the Secret holds the configured values and returns DATABASE_URL.
// With the in-cluster PostgreSQL the chart writes the URL itself, with the password of
// its own (generated, kept) Secret.
func verifySecret(k Kube, st stack) string {
	k.T.Helper()
	data := k.SecretData(secretName)
	want := st.settings.DatabaseURL.Reveal()
	if st.settings.InClusterPostgres() {
		pg := k.SecretData(postgresName)
		password := string(pg["password"])
		if len(password) < 16 {
			k.T.Errorf("Secret %s: generated password has %d characters, want at least 16", postgresName, len(password))
		}
		u, err := url.Parse(string(data["DATABASE_URL"]))
		if err != nil {
			k.T.Errorf("Secret %s: DATABASE_URL does not parse as a URL", secretName)
			return ""
		}
		if pw, _ := u.User.Password(); u.Scheme != "postgresql" || u.Host != databaseHost+":5432" || pw != password {
			k.T.Errorf("Secret %s: DATABASE_URL must be postgresql://<user>:<password of Secret %s>@%s:5432/<db>; got scheme %q host %q, password matches: %v",
				secretName, postgresName, databaseHost, u.Scheme, u.Host, pw == password)
		}
		// That host is a ClusterIP (a stable address) in front of the PostgreSQL pod.
		if svc, err := k.Client.CoreV1().Services(k.NS).Get(k.Ctx(), databaseHost, metav1.GetOptions{}); err != nil {
			k.T.Errorf("Service %s: %v", databaseHost, err)
		} else if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
			k.T.Errorf("Service %s has clusterIP %q, want an allocated ClusterIP", databaseHost, svc.Spec.ClusterIP)
		}
		want = string(data["DATABASE_URL"])
	} else if err := sameSecret(data["DATABASE_URL"], want); err != nil {
		k.T.Errorf("Secret %s key DATABASE_URL: %v", secretName, err)
	}
	if err := sameSecret(data["GEMINI_API_KEY"], st.settings.GeminiAPIKey.Reveal()); err != nil {
		k.T.Errorf("Secret %s key GEMINI_API_KEY: %v", secretName, err)
	}
	return want
}

// verifySecretRefs checks that the backend's pods read both secrets through secretKeyRef
// and that no pod spec carries a secret value in plain text.
func verifySecretRefs(k Kube, st stack, databaseURL string) {
	k.T.Helper()
	backendPods := k.pods("backend")
	if len(backendPods) == 0 {
		k.T.Error("no backend pods")
	}
	for _, p := range backendPods {
		c := p.Spec.Containers[slices.IndexFunc(p.Spec.Containers, func(c corev1.Container) bool { return c.Name == "backend" })]
		for _, key := range []string{"DATABASE_URL", "GEMINI_API_KEY"} {
			if ref := secretRef(c.Env, key); ref == nil || ref.Name != secretName || ref.Key != key {
				k.T.Errorf("pod %s: env %s is not read from Secret %s key %s: %+v", p.Name, key, secretName, key, ref)
			}
		}
		if m := st.settings.GeminiModel; m != "" && envValue(c.Env, "GEMINI_MODEL") != m {
			k.T.Errorf("pod %s: GEMINI_MODEL = %q, want %q", p.Name, envValue(c.Env, "GEMINI_MODEL"), m)
		}
	}
	for _, p := range k.pods("frontend") {
		if got := envValue(p.Spec.Containers[0].Env, "BACKEND_URL"); got != "http://"+backendName+":8000" {
			k.T.Errorf("pod %s: BACKEND_URL = %q, want http://%s:8000", p.Name, got, backendName)
		}
	}
	all, err := k.Client.CoreV1().Pods(k.NS).List(k.Ctx(), metav1.ListOptions{})
	if err != nil {
		k.T.Fatal(err)
	}
	for _, p := range all.Items {
		if leaks := plaintextLeaks(p.Spec, databaseURL, st.settings.GeminiAPIKey.Reveal()); len(leaks) > 0 {
			k.T.Errorf("pod %s carries a secret value in plain env (not secretKeyRef): %v", p.Name, leaks)
		}
	}
}

func secretRef(env []corev1.EnvVar, name string) *corev1.SecretKeySelector {
	for _, e := range env {
		if e.Name == name && e.ValueFrom != nil {
			return e.ValueFrom.SecretKeyRef
		}
	}
	return nil
}

func envValue(env []corev1.EnvVar, name string) string {
	for _, e := range env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// verifyPodSecurity checks that Pod Security admission at "restricted" admitted every pod
// the release needs (they all exist and no controller reported a refused pod), and that
// the namespace really enforces it: a privileged pod is refused.
func verifyPodSecurity(k Kube, st stack) {
	k.T.Helper()
	ns, err := k.Client.CoreV1().Namespaces().Get(k.Ctx(), k.NS, metav1.GetOptions{})
	if err != nil {
		k.T.Fatal(err)
	}
	if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		k.T.Errorf("namespace %s is not labelled pod-security.kubernetes.io/enforce=restricted: %v", k.NS, ns.Labels)
	}
	want := st.settings.BackendReplicas + st.settings.FrontendReplicas
	if st.settings.InClusterPostgres() {
		want++
	}
	running := 0
	all, err := k.Client.CoreV1().Pods(k.NS).List(k.Ctx(), metav1.ListOptions{})
	if err != nil {
		k.T.Fatal(err)
	}
	for i := range all.Items {
		if p := &all.Items[i]; p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && podIsReady(p) {
			running++
		}
	}
	if running != want {
		k.T.Errorf("%d pods Running and Ready in %s, want %d", running, k.NS, want)
	}
	if refused := k.warningEvents("FailedCreate"); len(refused) > 0 {
		k.T.Errorf("controllers could not create pods (Pod Security admission?):\n%s", strings.Join(refused, "\n"))
	}
	privileged := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "psa-probe"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox",
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}},
	}
	_, err = k.Client.CoreV1().Pods(k.NS).Create(k.Ctx(), privileged, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
		k.T.Errorf("a privileged pod (server-side dry run) should be refused by Pod Security admission in %s; got %v", k.NS, err)
	}
}

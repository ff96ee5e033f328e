package chartdigest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func baseChart() map[string]string {
	return map[string]string{
		"Chart.yaml":                "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"values.yaml":               "replicaCount: 1\n",
		"templates/deployment.yaml": "kind: Deployment\n",
		".helmignore":               "# editor files\n*.swp\n.git/\nnotes/\n*.bak\n",
	}
}

func mustDigest(t *testing.T, dir string) string {
	t.Helper()
	d, err := Digest(dir)
	if err != nil {
		t.Fatalf("Digest(%s): %v", dir, err)
	}
	return d
}

func TestDigestFormatAndStability(t *testing.T) {
	a := mustDigest(t, writeChart(t, baseChart()))
	b := mustDigest(t, writeChart(t, baseChart()))
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(a) {
		t.Fatalf("digest %q is not sha256:<64 hex>", a)
	}
	if a != b {
		t.Fatalf("same files in two directories gave %s and %s", a, b)
	}
}

func TestDigestChangesWithChartFiles(t *testing.T) {
	base := mustDigest(t, writeChart(t, baseChart()))
	edits := map[string]func(map[string]string){
		"template edit":   func(f map[string]string) { f["templates/deployment.yaml"] += "# changed\n" },
		"values edit":     func(f map[string]string) { f["values.yaml"] = "replicaCount: 2\n" },
		"new template":    func(f map[string]string) { f["templates/service.yaml"] = "kind: Service\n" },
		"helmignore edit": func(f map[string]string) { f[".helmignore"] += "*.tmp\n" },
		"rename": func(f map[string]string) {
			f["templates/deploy.yaml"] = f["templates/deployment.yaml"]
			delete(f, "templates/deployment.yaml")
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			files := baseChart()
			edit(files)
			if got := mustDigest(t, writeChart(t, files)); got == base {
				t.Fatalf("%s did not change the digest", name)
			}
		})
	}
}

func TestDigestIgnoresWhatHelmIgnores(t *testing.T) {
	base := mustDigest(t, writeChart(t, baseChart()))
	ignored := map[string]string{
		"templates/deployment.yaml.swp": "swap",     // *.swp, matched on the base name
		".git/HEAD":                     "ref",      // directory rule
		"notes/todo.txt":                "note",     // directory rule
		"values.yaml.bak":               "backup",   // *.bak
		"templates/.hidden.yaml":        "dotfiles", // Helm's default rule
	}
	for name, body := range ignored {
		t.Run(name, func(t *testing.T) {
			files := baseChart()
			files[name] = body
			if got := mustDigest(t, writeChart(t, files)); got != base {
				t.Fatalf("adding ignored %s changed the digest", name)
			}
		})
	}
}

func TestDigestErrors(t *testing.T) {
	if _, err := Digest(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing chart directory: want an error")
	}
	if _, err := Digest(t.TempDir()); err == nil {
		t.Error("empty chart directory: want an error")
	}
	bad := writeChart(t, map[string]string{"Chart.yaml": "x", ".helmignore": "templates/**/x\n"})
	if _, err := Digest(bad); err == nil {
		t.Error("** in .helmignore: want an error as Helm gives")
	}
}

func TestDigestCoversWhatHelmLoads(t *testing.T) {
	files := baseChart()
	files["templates/.hidden.yaml"] = "x"
	files["notes/a.txt"] = "x"
	got, err := Files(writeChart(t, files))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".helmignore", "Chart.yaml", "templates/deployment.yaml", "values.yaml"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Files = %v, want %v", got, want)
	}
}

package chartvalues

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Digest returns a stable digest ("sha256:<hex>") of the chart's files: their paths
// relative to chartDir and their contents, skipping what .helmignore ignores (the files
// Helm would not package). The program passes it as the chartDigest value, because
// pulumi-kubernetes' helm.Release notices a local chart's changes only when Chart.yaml's
// version changes (pulumi/pulumi-kubernetes#2118, #2672): with the digest in the values, a
// template edit is a values diff in `pulumi preview` and a rollout on `pulumi up`.
func Digest(chartDir string) (string, error) {
	files, err := Files(chartDir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(chartDir, filepath.FromSlash(rel)))
		if err != nil {
			return "", err
		}
		// Length-prefix name and content so the concatenation is unambiguous.
		fmt.Fprintf(h, "%d:%s %d:", len(rel), rel, len(data))
		h.Write(data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Files lists the chart's files that Digest covers: slash-separated paths relative to
// chartDir, sorted, without what .helmignore (and Helm's default rule) ignores. They are
// the files Helm's loader reads, which the chart tests can check.
func Files(chartDir string) ([]string, error) {
	rules, err := loadHelmignore(filepath.Join(chartDir, ".helmignore"))
	if err != nil {
		return nil, err
	}
	var files []string
	err = filepath.WalkDir(chartDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(chartDir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rules.ignore(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			if !d.Type().IsRegular() {
				return fmt.Errorf("chart file %s is not a regular file", path)
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chart digest of %s: %w", chartDir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("chart digest of %s: no chart files found", chartDir)
	}
	sort.Strings(files)
	return files, nil
}

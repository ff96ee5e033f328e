// Package chartdigest lists and digests a local Helm chart's files as Helm loads them
// (honouring .helmignore); `make dev` watches those files. The release's change trigger is
// no longer this digest of files but a digest of the rendered objects
// (infra/manifestdiff), so an edit that renders the same objects is no change.
package chartdigest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"helm.sh/helm/v3/pkg/ignore"
)

// Digest returns a stable digest ("sha256:<hex>") of the chart's files: their paths
// relative to chartDir and their contents, without what .helmignore ignores.
func Digest(chartDir string) (string, error) {
	files, err := Files(chartDir)
	if err != nil {
		return "", fmt.Errorf("the Helm chart %s: %w", chartDir, err)
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

// Files lists the files Helm's loader reads from chartDir (as helm.sh/helm/v3's
// loader.LoadDir walks it, with its own .helmignore rules): slash-separated, sorted.
func Files(chartDir string) ([]string, error) {
	rules, err := ignore.ParseFile(filepath.Join(chartDir, ignore.HelmIgnore))
	if errors.Is(err, fs.ErrNotExist) {
		rules, err = ignore.Empty(), nil
	}
	if err != nil {
		return nil, err
	}
	rules.AddDefaults()
	var files []string
	err = filepath.Walk(chartDir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(chartDir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case rules.Ignore(rel, fi) && fi.IsDir():
			return filepath.SkipDir
		case rules.Ignore(rel, fi) || fi.IsDir():
			return nil
		case !fi.Mode().IsRegular():
			return fmt.Errorf("chart file %s is not a regular file", path)
		}
		files = append(files, rel)
		return nil
	})
	if err == nil && len(files) == 0 {
		err = errors.New("no chart files found")
	}
	sort.Strings(files)
	return files, err
}

package cluster

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// scratchImage is a one-layer image FROM scratch: static binaries and symlinks, written as
// a `docker save` archive without any engine and imported into the node's containerd. The
// node's own images (pause, CoreDNS, local-path-provisioner and its helper) are made this
// way, so the node starts without waiting for a build engine.
type scratchImage struct {
	ref        string
	files      map[string]string // path in the image -> file on the host (mode kept)
	symlinks   map[string]string // path in the image -> target
	entrypoint []string
	env        []string
	user       string
}

// archive returns the image as a docker-archive tarball and its image ID (config digest).
func (img scratchImage) archive() ([]byte, string, error) {
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	epoch := time.Unix(0, 0)
	dirs := map[string]bool{}
	addDirs := func(p string) error {
		for d := filepath.Dir(p); d != "." && d != "/" && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
			if err := lw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d[1:] + "/", Mode: 0o755, ModTime: epoch}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range sortedKeys(img.files) {
		b, err := os.ReadFile(img.files[p])
		if err != nil {
			return nil, "", err
		}
		if err := addDirs(p); err != nil {
			return nil, "", err
		}
		if err := lw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p[1:], Mode: 0o755, Size: int64(len(b)), ModTime: epoch}); err != nil {
			return nil, "", err
		}
		if _, err := lw.Write(b); err != nil {
			return nil, "", err
		}
	}
	for _, p := range sortedKeys(img.symlinks) {
		if err := addDirs(p); err != nil {
			return nil, "", err
		}
		if err := lw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: p[1:], Linkname: img.symlinks[p], Mode: 0o777, ModTime: epoch}); err != nil {
			return nil, "", err
		}
	}
	if err := lw.Close(); err != nil {
		return nil, "", err
	}
	layerSum := sha256.Sum256(layer.Bytes())
	diffID := "sha256:" + hex.EncodeToString(layerSum[:])
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "created": epoch.UTC().Format(time.RFC3339),
		"config": map[string]any{"Entrypoint": img.entrypoint, "Env": img.env, "User": img.user,
			"Labels": map[string]string{"todo.node.image": "built from source by tests/cluster"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	})
	if err != nil {
		return nil, "", err
	}
	configSum := sha256.Sum256(config)
	configHex := hex.EncodeToString(configSum[:])
	manifest, err := json.Marshal([]map[string]any{{
		"Config": configHex + ".json", "RepoTags": []string{img.ref}, "Layers": []string{hex.EncodeToString(layerSum[:]) + "/layer.tar"},
	}})
	if err != nil {
		return nil, "", err
	}
	var out bytes.Buffer
	w := tar.NewWriter(&out)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{hex.EncodeToString(layerSum[:]) + "/layer.tar", layer.Bytes()},
		{configHex + ".json", config},
		{"manifest.json", manifest},
	} {
		if err := w.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: epoch}); err != nil {
			return nil, "", err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return out.Bytes(), "sha256:" + configHex, nil
}

// importScratchImage writes img and imports it into the node whose containerd listens at
// sock (unless already there).
func importScratchImage(ctx context.Context, sock string, img scratchImage) error {
	data, id, err := img.archive()
	if err != nil {
		return fmt.Errorf("%s: %w", img.ref, err)
	}
	if have, _ := nodeImageIDAt(ctx, sock, img.ref); have == id {
		return nil
	}
	cmd := ctr(ctx, sock, "images", "import", "-")
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ctr images import %s: %v: %s", img.ref, err, out)
	}
	if have, err := nodeImageIDAt(ctx, sock, img.ref); err != nil || have != id {
		return fmt.Errorf("after import the node has %s as %q (%v), want %s", img.ref, have, err, id)
	}
	return nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

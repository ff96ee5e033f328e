package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// A change is one debounced batch of saves: the paths (relative to the repository root)
// that the deployment depends on, and when the first of them was saved.
type change struct {
	paths   []string
	savedAt time.Time
}

// watcher turns inotify events under the sources into changes. inotify is not recursive,
// so every directory that matters is watched on its own, and new ones as they appear;
// ignored directories (node_modules, .next, .venv, ...) are never descended into, which
// also keeps the number of watches small.
type watcher struct {
	root    string
	sources []source
	fs      *fsnotify.Watcher
	quiet   time.Duration // a batch ends after this long without a relevant event
}

func newWatcher(root string, srcs []source, quiet time.Duration) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{root: root, sources: srcs, fs: fw, quiet: quiet}
	for _, s := range srcs {
		if s.name == "program" {
			// The program is the root's own files plus infra/; the root holds the other
			// sources too, which their own watches cover.
			if err := fw.Add(s.dir); err != nil {
				return nil, err
			}
			if err := w.addTree(s, filepath.Join(s.dir, "infra")); err != nil {
				return nil, err
			}
			continue
		}
		if err := w.addTree(s, s.dir); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *watcher) Close() error { return w.fs.Close() }

// addTree watches dir and every directory below it that matters to s.
func (w *watcher) addTree(s source, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir {
			rel := w.rel(s, p)
			if !s.matters(rel, true) {
				return filepath.SkipDir
			}
		}
		if err := w.fs.Add(p); err != nil {
			return fmt.Errorf("watching %s: %w (raise fs.inotify.max_user_watches?)", p, err)
		}
		return nil
	})
}

func (w *watcher) rel(s source, p string) string {
	r, _ := filepath.Rel(s.dir, p)
	return filepath.ToSlash(r)
}

// owner is the source p belongs to: the most specific directory containing it.
func (w *watcher) owner(p string) (source, bool) {
	var best source
	found := false
	for _, s := range w.sources {
		if p == s.dir || strings.HasPrefix(p, s.dir+string(filepath.Separator)) {
			if !found || len(s.dir) > len(best.dir) {
				best, found = s, true
			}
		}
	}
	return best, found
}

// relevant returns the files the event touches that the deployment depends on. A new
// directory is watched, and the files already in it are returned: they may have been
// written before its watch was in place.
func (w *watcher) relevant(ev fsnotify.Event) []string {
	if ev.Op == fsnotify.Chmod {
		return nil // touch/chmod: the content is the same
	}
	s, ok := w.owner(ev.Name)
	if !ok {
		return nil
	}
	info, err := os.Lstat(ev.Name)
	isDir := err == nil && info.IsDir()
	if !s.matters(w.rel(s, ev.Name), isDir) {
		return nil
	}
	if !isDir {
		return []string{w.rootRel(ev.Name)}
	}
	if !ev.Has(fsnotify.Create) {
		return nil
	}
	_ = w.addTree(s, ev.Name)
	var files []string
	_ = filepath.WalkDir(ev.Name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		matters := s.matters(w.rel(s, p), d.IsDir())
		switch {
		case d.IsDir() && !matters && p != ev.Name:
			return filepath.SkipDir
		case !d.IsDir() && matters:
			files = append(files, w.rootRel(p))
		}
		return nil
	})
	return files
}

func (w *watcher) rootRel(p string) string {
	r, _ := filepath.Rel(w.root, p)
	return filepath.ToSlash(r)
}

// run sends one change per debounced batch until stop is closed. Batches that arrive
// while the consumer is busy (an update is running) are merged into the next one.
func (w *watcher) run(stop <-chan struct{}, out chan<- change, errs chan<- error) {
	var (
		pending = map[string]bool{}
		first   time.Time
		timer   = time.NewTimer(time.Hour)
	)
	timer.Stop()
	var ready *change // a batch waiting for the consumer
	for {
		var send chan<- change
		var next change
		if ready != nil {
			send, next = out, *ready
		}
		select {
		case <-stop:
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			paths := w.relevant(ev)
			if len(paths) == 0 {
				continue
			}
			if len(pending) == 0 {
				first = time.Now()
			}
			for _, p := range paths {
				pending[p] = true
			}
			timer.Reset(w.quiet)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			errs <- err
		case <-timer.C:
			paths := make([]string, 0, len(pending))
			for p := range pending {
				paths = append(paths, p)
			}
			if ready != nil {
				paths = append(paths, ready.paths...)
				first = ready.savedAt
			}
			ready = &change{paths: dedupSorted(paths), savedAt: first}
			pending = map[string]bool{}
		case send <- next:
			ready = nil
		}
	}
}

func dedupSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// contents remembers a hash of every file the deployment depends on, so a save that left
// the bytes as they were (an editor's save-all, `touch`, a tool rewriting a file
// identically) triggers no update.
type contents map[string][sha256.Size]byte

// snapshot hashes every file that matters under the sources.
func (w *watcher) snapshot() (contents, error) {
	c := contents{}
	for _, s := range w.sources {
		dirs := []string{s.dir}
		if s.name == "program" {
			dirs = []string{filepath.Join(s.dir, "infra")}
			entries, err := os.ReadDir(s.dir)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if !e.IsDir() && s.matters(e.Name(), false) {
					c.record(w.root, filepath.Join(s.dir, e.Name()))
				}
			}
		}
		for _, d := range dirs {
			err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if p == d {
					return nil
				}
				if !s.matters(w.rel(s, p), e.IsDir()) {
					if e.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if !e.IsDir() {
					c.record(w.root, p)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func (c contents) record(root, p string) {
	rel, _ := filepath.Rel(root, p)
	c[filepath.ToSlash(rel)] = fileHash(p)
}

// fileHash is the hash of the file's bytes; the zero value for a missing file.
func fileHash(p string) [sha256.Size]byte {
	data, err := os.ReadFile(p)
	if err != nil {
		return [sha256.Size]byte{}
	}
	return sha256.Sum256(data)
}

// update records the current bytes of paths (relative to root) and returns those whose
// bytes differ from what was recorded.
func (c contents) update(root string, paths []string) []string {
	var changed []string
	for _, p := range paths {
		h := fileHash(filepath.Join(root, filepath.FromSlash(p)))
		if old, ok := c[p]; !ok || old != h {
			if ok || h != [sha256.Size]byte{} {
				changed = append(changed, p)
			}
		}
		if h == [sha256.Size]byte{} {
			delete(c, p)
		} else {
			c[p] = h
		}
	}
	return changed
}

// Command staticvet runs staticcheck's checks (honnef.co/go/tools, pinned in go.mod) as a
// `go vet -vettool`, so that only our own packages and the standard library are analyzed from
// source. The staticcheck command type-checks every dependency from source to compute facts
// for a handful of checks: for the Pulumi and Kubernetes SDKs this repository builds on, that
// took longer than compiling them (the README's test section gives the measurement). Under
// `go vet` the compiler's export data (cached and shared with every build and test) gives the
// types, and this tool answers a third-party package's request for facts with none. What that
// costs: the fact-based checks (SA1019 deprecated API, SA4017 pure functions, SA4023
// impossible nil comparisons) see facts from our packages and the standard library, not from
// third-party modules.
//
// The checks are staticcheck's default set: every simple (S), staticcheck (SA), stylecheck (ST)
// and unused (U1000) check except those staticcheck disables by default. Each diagnostic ends
// with its check's name, as staticcheck prints it. staticcheck.conf files and //lint:ignore
// directives are not read (the repository has neither).
//
// Usage (tests/run/lint.sh): go vet -vettool="$(command -v staticvet)" ./...
package main

import (
	"encoding/json"
	"fmt"
	"go/token"
	"os"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/unitchecker"
	"honnef.co/go/tools/analysis/lint"
	"honnef.co/go/tools/simple"
	"honnef.co/go/tools/staticcheck"
	"honnef.co/go/tools/stylecheck"
	"honnef.co/go/tools/unused"
)

func main() {
	if cfg := vetConfig(os.Args[1:]); cfg != nil && cfg.VetxOnly && thirdParty(cfg) {
		// Asked only for the facts of a third-party package: answer with none, without
		// parsing or type-checking it (an empty facts file is what a package without facts has).
		if err := os.WriteFile(cfg.VetxOutput, nil, 0o666); err != nil {
			fmt.Fprintln(os.Stderr, "staticvet:", err)
			os.Exit(1)
		}
		return
	}
	unitchecker.Main(analyzers()...)
}

// config is the part of the go command's per-package vet configuration (unitchecker.Config)
// this tool reads.
type config struct {
	ImportPath    string
	ModuleVersion string
	Standard      map[string]bool
	VetxOnly      bool
	VetxOutput    string
}

// vetConfig reads the configuration the go command named as the last argument, or returns nil
// when the tool was not invoked on one (-V=full, -flags, help).
func vetConfig(args []string) *config {
	if len(args) == 0 || !strings.HasSuffix(args[len(args)-1], ".cfg") {
		return nil
	}
	data, err := os.ReadFile(args[len(args)-1])
	if err != nil {
		return nil // unitchecker reports it
	}
	var cfg config
	if json.Unmarshal(data, &cfg) != nil {
		return nil
	}
	return &cfg
}

// thirdParty: a package from a downloaded module. The main module, and modules replaced by a
// directory (the tests module's view of the root module), have no version.
func thirdParty(cfg *config) bool {
	return !cfg.Standard[cfg.ImportPath] && cfg.ModuleVersion != ""
}

func analyzers() []*analysis.Analyzer {
	var out []*analysis.Analyzer
	for _, set := range [][]*lint.Analyzer{simple.Analyzers, staticcheck.Analyzers, stylecheck.Analyzers} {
		for _, a := range set {
			if !a.Doc.NonDefault {
				out = append(out, named(a.Analyzer))
			}
		}
	}
	return append(out, named(unusedCode))
}

// named runs a check with each diagnostic ending in the check's name, as staticcheck prints it.
// The copy keeps the original's Requires, so the analyzers it needs are shared.
func named(a *analysis.Analyzer) *analysis.Analyzer {
	c := *a
	c.Run = func(pass *analysis.Pass) (any, error) {
		report := pass.Report
		p := *pass
		p.Report = func(d analysis.Diagnostic) {
			d.Message = fmt.Sprintf("%s (%s)", d.Message, a.Name)
			report(d)
		}
		return a.Run(&p)
	}
	return &c
}

// unusedCode reports what staticcheck's unused analysis finds unused (U1000). That analysis
// only returns its findings; the staticcheck command reports them after merging a package's
// variants, which `go vet` does not need: it vets a package with its tests as one variant.
var unusedCode = &analysis.Analyzer{
	Name:     "U1000",
	Doc:      "unused code (staticcheck's U1000)",
	Requires: []*analysis.Analyzer{unused.Analyzer.Analyzer},
	Run: func(pass *analysis.Pass) (any, error) {
		result := pass.ResultOf[unused.Analyzer.Analyzer].(unused.Result)
		for _, obj := range result.Unused {
			if pos := posOf(pass, obj.DisplayPosition); pos.IsValid() {
				pass.Reportf(pos, "%s %s is unused", obj.Kind, obj.Name)
			}
		}
		return nil, nil
	},
}

// posOf finds a position in the package's files.
func posOf(pass *analysis.Pass, at token.Position) token.Pos {
	for _, f := range pass.Files {
		tf := pass.Fset.File(f.Pos())
		if tf != nil && tf.Name() == at.Filename && at.Offset <= tf.Size() {
			return tf.Pos(at.Offset)
		}
	}
	return token.NoPos
}

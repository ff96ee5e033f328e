package imageref

import (
	"strings"
	"testing"
)

const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParse(t *testing.T) {
	cases := map[string]Ref{
		"todo-backend":                       {Repository: "todo-backend"},
		"todo-backend:v1":                    {Repository: "todo-backend", Tag: "v1"},
		"reg.example.com:5000/team/app:v2":   {Repository: "reg.example.com:5000/team/app", Tag: "v2"},
		"reg.example.com:5000/team/app@" + d: {Repository: "reg.example.com:5000/team/app", Digest: d},
		"reg.example.com/app:v1@" + d:        {Repository: "reg.example.com/app", Tag: "v1", Digest: d},
	}
	for in, want := range cases {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
	for _, bad := range []string{"", "app@sha256:abc", "app@md5:" + d[7:], ":v1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): want an error", bad)
		}
	}
}

func TestPinned(t *testing.T) {
	got, err := Pinned("reg.example.com/team/todo-backend:v1", "reg.example.com/team/todo-backend@"+d)
	if err != nil || got != "reg.example.com/team/todo-backend:v1@"+d {
		t.Fatalf("pushed: %q, %v", got, err)
	}
	got, err = Pinned("todo-backend:v1", d)
	if err != nil || got != "todo-backend:v1@"+d {
		t.Fatalf("local image ID: %q, %v", got, err)
	}
	if _, err := Pinned("todo-backend:v1", ""); err == nil {
		t.Fatal("no digest: want an error")
	}
}

func TestPromotable(t *testing.T) {
	if r, err := Promotable("reg.example.com/team/todo-backend:v1@" + d); err != nil || r.Digest != d || r.Tag != "v1" {
		t.Fatalf("registry image: %+v, %v", r, err)
	}
	if _, err := Promotable("reg.example.com/team/todo-backend:v1"); err == nil || !strings.Contains(err.Error(), "not pinned by digest") {
		t.Fatalf("unpinned: %v", err)
	}
	if _, err := Promotable("todo-backend:v1@" + d); err == nil || !strings.Contains(err.Error(), "not in a registry") {
		t.Fatalf("Minikube image: %v", err)
	}
}

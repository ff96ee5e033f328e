package images

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// hostPostgres is Debian's PostgreSQL on the host, listening only on the Docker network's
// gateway address, with password authentication for that subnet: the containers reach it as
// they would reach an external database, and the password lets the test check it never shows
// up in a log.
type hostPostgres struct {
	url      string // postgresql://todo:<password>@<gateway>:<port>/todo
	password string
	host     string
	port     int
}

func startHostPostgres(t *testing.T, gateway, subnet string) hostPostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		t.Fatal("PostgreSQL server not found: apt-get install -y postgresql (tests/env/deps.sh does it)")
	}
	sort.Strings(bins)
	bindir := filepath.Dir(bins[len(bins)-1])

	dir, err := os.MkdirTemp("", "todo-images-pg.")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	asOwner := func(args ...string) *exec.Cmd { return exec.Command(args[0], args[1:]...) }
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v %s", dir, err, out)
		}
		asOwner = func(args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
	}
	pwBytes := make([]byte, 18)
	_, _ = rand.Read(pwBytes)
	password := hex.EncodeToString(pwBytes)
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		_ = exec.Command("chown", "postgres:postgres", pwfile).Run()
	}
	data := filepath.Join(dir, "data")
	if out, err := asOwner(bindir+"/initdb", "-D", data, "-U", "todo", "--auth-local=trust", "--auth-host=scram-sha-256",
		"--pwfile="+pwfile, "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	_ = os.Remove(pwfile)
	hba, err := os.OpenFile(filepath.Join(data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(hba, "host all all %s scram-sha-256\n", subnet)
	hba.Close()

	port := freePort(t, gateway)
	opts := fmt.Sprintf("-h %s -p %d -k %s -c fsync=off -c full_page_writes=off", gateway, port, dir)
	if out, err := asOwner(bindir+"/pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "-o", opts, "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		t.Fatalf("postgres did not start on %s:%d: %v\n%s\n%s", gateway, port, err, out, tail(string(log), 20))
	}
	t.Cleanup(func() { _ = asOwner(bindir+"/pg_ctl", "-D", data, "-m", "fast", "-w", "stop").Run() })
	if out, err := asOwner(bindir+"/createdb", "-h", dir, "-p", strconv.Itoa(port), "-U", "todo", "todo").CombinedOutput(); err != nil {
		t.Fatalf("createdb: %v\n%s", err, out)
	}
	return hostPostgres{
		url:      fmt.Sprintf("postgresql://todo:%s@%s/todo", password, net.JoinHostPort(gateway, strconv.Itoa(port))),
		password: password, host: gateway, port: port,
	}
}

func freePort(t *testing.T, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("no free port on %s: %v", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// redact hides a secret in text that a failure message prints.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "<redacted>")
}

package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// HostPostgres is Debian's PostgreSQL running on the host OUTSIDE the cluster, as a user's
// own database server would: it listens only on the host's address on the cluster's
// network (HostIP), so pods reach it (their node masquerades them as its own address) and
// nothing beyond the machine can, and it takes password (scram-sha-256) logins from the
// nodes' addresses only.
type HostPostgres struct {
	URL      string // postgresql://todo:<password>@HostIP:<port>/todo (never printed)
	dir, bin string
	port     int
}

// StartHostPostgres starts it until the test ends.
func StartHostPostgres(t testing.TB) *HostPostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		t.Fatal("PostgreSQL server not found: sudo tests/env/deps.sh (Debian postgresql)")
	}
	noInheritedFDs()
	pg := &HostPostgres{bin: bins[len(bins)-1]}
	var err error
	if pg.dir, err = os.MkdirTemp("", "todo-node-pg."); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.stop)
	l, err := net.Listen("tcp", HostIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	pg.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	password := hex.EncodeToString(b)
	if err := os.WriteFile(filepath.Join(pg.dir, "pw"), []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL refuses to run as root: the server runs as Debian's postgres user.
	pg.must(t, "chown", "-R", "postgres:postgres", pg.dir)
	pg.must(t, "runuser", "-u", "postgres", "--", filepath.Join(pg.bin, "initdb"), "-D", filepath.Join(pg.dir, "data"),
		"-U", "todo", "--pwfile="+filepath.Join(pg.dir, "pw"), "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8")
	hba := "local all all trust\nhost all all " + LANCIDR + " scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(pg.dir, "data", "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		t.Fatal(err)
	}
	pg.must(t, "chown", "postgres:postgres", filepath.Join(pg.dir, "data", "pg_hba.conf"))
	pg.must(t, "runuser", "-u", "postgres", "--", filepath.Join(pg.bin, "pg_ctl"), "-D", filepath.Join(pg.dir, "data"),
		"-l", filepath.Join(pg.dir, "server.log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-h %s -p %d -k %s -c fsync=off", HostIP, pg.port, pg.dir), "start")
	pg.must(t, "runuser", "-u", "postgres", "--", filepath.Join(pg.bin, "createdb"), "-h", pg.dir, "-p", fmt.Sprint(pg.port), "-U", "todo", "todo")
	pg.URL = fmt.Sprintf("postgresql://todo:%s@%s:%d/todo", password, HostIP, pg.port)
	t.Logf("external PostgreSQL (Debian's, on the host) listening on %s:%d only", HostIP, pg.port)
	return pg
}

// Query runs SQL through the server's local socket and returns psql's unaligned output.
func (pg *HostPostgres) Query(t testing.TB, sql string) string {
	t.Helper()
	out, err := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(pg.bin, "psql"), "-h", pg.dir,
		"-p", fmt.Sprint(pg.port), "-U", "todo", "-d", "todo", "-Atc", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func (pg *HostPostgres) must(t testing.TB, argv ...string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(argv[:min(len(argv), 5)], " "), err, out)
	}
}

func (pg *HostPostgres) stop() {
	if _, err := os.Stat(filepath.Join(pg.dir, "data", "postmaster.pid")); err == nil {
		_ = exec.Command("runuser", "-u", "postgres", "--", filepath.Join(pg.bin, "pg_ctl"), "-D",
			filepath.Join(pg.dir, "data"), "-m", "immediate", "-w", "-t", "30", "stop").Run()
	}
	for range 50 { // the server's sockets and pid file go before the directory does
		if _, err := os.Stat(filepath.Join(pg.dir, "data", "postmaster.pid")); err != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = os.RemoveAll(pg.dir)
}

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
)

// childFerretDBEnv, set to a directory, makes the test binary a standalone
// FerretDB over that directory instead of running tests (runChildFerretDB).
const childFerretDBEnv = "BLOGAPI_TEST_CHILD_FERRETDB"

// runChildFerretDB serves an embedded FerretDB over dir, prints its
// host:port on a line of stdout, and serves until stdin closes (the
// parent test ended or died).
func runChildFerretDB(dir string) int {
	ctx := context.Background()
	db, err := models.Open(ctx, models.Options{Dir: dir, Database: "deadline"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	fmt.Println(db.EmbeddedAddr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// startChildFerretDB runs a standalone FerretDB in a child process and
// returns its URI and the process, which the test may stop (SIGSTOP) and
// continue (SIGCONT); it is ended when the test ends.
func startChildFerretDB(t *testing.T) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childFerretDBEnv+"="+t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child FerretDB: %v", err)
	}
	return "mongodb://" + strings.TrimSpace(line) + "/", cmd.Process
}

// TestDatabaseHangs: a standalone FerretDB frozen with SIGSTOP makes
// requests answer 503 "database unavailable" with Retry-After within the
// operation timeout (mongo.op_timeout), /readyz answer 503, and the
// server recovers without a restart once the database continues.
func TestDatabaseHangs(t *testing.T) {
	uri, proc := startChildFerretDB(t)
	const opTimeout = time.Second
	ctx := context.Background()
	clk := apitest.NewClock()
	db, err := models.Open(ctx, models.Options{URI: uri, Database: "deadline", OpTimeout: opTimeout, Now: clk.Now, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	cfg := apitest.Config(t)
	cfg.Mongo.OpTimeout = opTimeout
	inst := apitest.Start(t, cfg, db, clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	apitest.Expect(t, register(t, c, inst, "frozen", "frozen@example.com", "pw"), 200, "register")
	login(t, c, "frozen", "pw")

	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		do   func() apitest.Reply
	}{
		{"login", func() apitest.Reply {
			return c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "frozen", "password": apitest.MD5Hex("pw")})
		}},
		{"check username", func() apitest.Reply {
			return c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "someone"})
		}},
		{"readyz", func() apitest.Reply { return c.Send(mustRequest(t, http.MethodGet, inst.Srv.URL+"/readyz")) }},
	} {
		start := time.Now()
		r := step.do()
		elapsed := time.Since(start)
		if r.Code != 503 || r.Msg != "database unavailable" {
			t.Errorf("%s with the database stopped: %d %s, want 503 database unavailable", step.name, r.Code, r.Body)
		}
		if step.name != "readyz" && r.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After on the 503", step.name)
		}
		// Within a few operation timeouts (each operation of the request
		// waits at most one), not the 40 s of a hung request.
		if elapsed > 4*opTimeout {
			t.Errorf("%s took %v with the database stopped, want at most %v", step.name, elapsed, 4*opTimeout)
		}
		t.Logf("%s, database stopped: %d in %v", step.name, r.Code, elapsed.Round(time.Millisecond))
	}

	if err := proc.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "frozen", "password": apitest.MD5Hex("pw")})
		if r.Code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery 15 s after the database continued: %d %s", r.Code, r.Body)
		}
	}
	if r := c.Send(mustRequest(t, http.MethodGet, inst.Srv.URL+"/readyz")); r.Code != 200 {
		t.Fatalf("readyz after recovery: %d %s", r.Code, r.Body)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // reading the hub's rows directly
	"github.com/redis/go-redis/v9"

	"github.com/council/contacthub/internal/store/storetest"
)

// binary is the hub built once for the run by TestMain.
var binary string

// buildHub builds ./cmd/contacthub into dir. It builds with the settings this test
// binary was built with (not make build's CGO_ENABLED=0 -trimpath), so that on a
// fresh machine the packages both need are compiled once, not twice.
func buildHub(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "contacthub")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/contacthub")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/contacthub: %w\n%s", err, out)
	}
	return bin, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// hub is one contacthub serve process on a database schema and Redis prefix of its
// own, reaching both through fault proxies. It can be killed and started again on
// the same port, data directory and configuration.
type hub struct {
	t       *testing.T
	addr    string // host:port it serves on
	dir     string // data directory (development signing key)
	env     []string
	logPath string
	cmd     *exec.Cmd
	exited  chan error

	DB    *proxy  // in front of PostgreSQL
	Redis *proxy  // in front of Redis
	rows  *sql.DB // the hub's schema, directly (not through the proxy)

	redisURL, redisPrefix string // the real Redis and the hub's key prefix
}

// newHub prepares (but does not start) a hub on a fresh schema and Redis prefix.
func newHub(t *testing.T) *hub {
	t.Helper()
	pgURL, redisURL := os.Getenv("CONTACTHUB_TEST_DATABASE_URL"), os.Getenv("CONTACTHUB_TEST_REDIS_URL")
	if pgURL == "" || redisURL == "" {
		t.Fatal("the fault suite needs CONTACTHUB_TEST_DATABASE_URL and CONTACTHUB_TEST_REDIS_URL; run `make test-faults`")
	}
	backend := storetest.Backend{Name: "postgres+redis", DatabaseURL: pgURL, RedisURL: redisURL}
	schemaURL := storetest.FreshURL(t, backend)
	prefix := storetest.RedisPrefix(t, backend)

	rows, err := sql.Open("pgx", schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rows.Close() })

	h := &hub{t: t, dir: t.TempDir(), rows: rows, redisURL: redisURL, redisPrefix: prefix}
	h.logPath = filepath.Join(h.dir, "hub.log")
	h.DB = startProxy(t, hostPort(t, schemaURL, "5432"))
	h.Redis = startProxy(t, hostPort(t, redisURL, "6379"))
	h.addr = freeAddr(t)
	h.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + h.dir,
		"CONTACTHUB_ADDR=" + h.addr,
		"CONTACTHUB_DATA_DIR=" + h.dir,
		"DATABASE_URL=" + throughProxy(t, schemaURL, h.DB.Addr()),
		"REDIS_URL=" + throughProxy(t, redisURL, h.Redis.Addr()),
		"CONTACTHUB_REDIS_PREFIX=" + prefix,
		"CONTACTHUB_LOG_LEVEL=warn",
		// The limiters stay on (they use Redis, and must not need it), high enough
		// never to refuse this suite's load.
		"CONTACTHUB_RATE_LIMIT_PER_MINUTE=100000",
		"CONTACTHUB_RATE_LIMIT_IP_PER_MINUTE=100000",
		"CONTACTHUB_SHUTDOWN_TIMEOUT=" + shutdownTimeout.String(),
		"CONTACTHUB_DB_MAX_CONNS=4",
	}
	t.Cleanup(func() {
		h.kill()
		if t.Failed() {
			h.printLog(15)
		}
	})
	return h
}

func hostPort(t *testing.T, raw, defaultPort string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), defaultPort)
	}
	return u.Host
}

func throughProxy(t *testing.T, raw, addr string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// URL is the hub's base URL.
func (h *hub) URL() string { return "http://" + h.addr }

// start runs `contacthub serve` and waits until /readyz answers 200.
func (h *hub) start() {
	h.t.Helper()
	logFile, err := os.OpenFile(h.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(binary, "serve")
	cmd.Env = h.env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		h.t.Fatalf("start hub: %v", err)
	}
	h.cmd, h.exited = cmd, make(chan error, 1)
	go func() {
		h.exited <- cmd.Wait()
		_ = logFile.Close()
	}()
	if err := h.waitReady(20 * time.Second); err != nil {
		h.printLog(15)
		h.t.Fatalf("hub did not become ready: %v", err)
	}
}

func (h *hub) waitReady(limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-h.exited:
			h.exited <- err
			return fmt.Errorf("it exited: %v", err)
		default:
		}
		resp, err := client.Get(h.URL() + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("/readyz not 200 within %s", limit)
}

// signal sends sig to the running hub.
func (h *hub) signal(sig syscall.Signal) {
	h.t.Helper()
	if err := h.cmd.Process.Signal(sig); err != nil {
		h.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits up to limit for the hub to exit and says whether it did, and how.
func (h *hub) wait(limit time.Duration) (bool, error) {
	select {
	case err := <-h.exited:
		h.exited <- err
		return true, err
	case <-time.After(limit):
		return false, nil
	}
}

// kill ends the hub with SIGKILL if it is running.
func (h *hub) kill() {
	if h.cmd == nil || h.cmd.Process == nil {
		return
	}
	select {
	case err := <-h.exited:
		h.exited <- err
		return
	default:
	}
	_ = h.cmd.Process.Kill()
	<-h.exited
	h.exited <- nil
}

// token mints a development token with `contacthub token`, as the README shows.
func (h *hub) token(sub string) string {
	h.t.Helper()
	cmd := exec.Command(binary, "token", "--role", "agent", "--tier", "1", "--sub", sub, "--ttl", "1h")
	cmd.Env = h.env
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("contacthub token: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// rowsPerMarker counts the contacts whose summary begins with prefix, per summary.
func (h *hub) rowsPerMarker(ctx context.Context, prefix string) (map[string]int, error) {
	rs, err := h.rows.QueryContext(ctx, `SELECT summary, count(*) FROM contacts WHERE summary LIKE $1 GROUP BY summary`, prefix+"%")
	if err != nil {
		return nil, fmt.Errorf("count contacts: %w", err)
	}
	defer rs.Close()
	out := map[string]int{}
	for rs.Next() {
		var marker string
		var n int
		if err := rs.Scan(&marker, &n); err != nil {
			return nil, err
		}
		out[marker] = n
	}
	return out, rs.Err()
}

// wipeRedis deletes every key of the hub's, as a Redis restarted without persistence
// (how .ci/services runs it) would have lost them.
func (h *hub) wipeRedis(ctx context.Context) (int, error) {
	opts, err := redis.ParseURL(h.redisURL)
	if err != nil {
		return 0, err
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	n := 0
	iter := rdb.Scan(ctx, 0, h.redisPrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
			return n, err
		}
		n++
	}
	return n, iter.Err()
}

// printLog shows the last n lines of the hub's log, for a failed test.
func (h *hub) printLog(n int) {
	raw, err := os.ReadFile(h.logPath)
	if err != nil {
		return
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	h.t.Logf("last %d lines of the hub's log:\n%s", len(lines), strings.Join(lines, "\n"))
}

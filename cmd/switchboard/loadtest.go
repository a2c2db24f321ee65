package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/conversation"
)

func init() {
	register(command{
		name:    "loadtest",
		summary: "start local gateway and worker replicas on one redis-server, load them with simulated users, inject faults, report",
		run:     runLoadtest,
	})
}

// loadtestChildEnv is set in the replicas' environment; a test binary
// standing in for switchboard runs the command line when it sees it.
const loadtestChildEnv = "SWITCHBOARD_LOADTEST_CHILD"

// loadOptions configure one load test. Every count and time is bounded.
type loadOptions struct {
	Binary      string        // the switchboard binary the replicas run
	RedisServer string        // the redis-server binary
	RedisCLI    string        // the redis-cli binary (creates the cluster)
	Cluster     bool          // a Redis Cluster of 3 primaries with a replica each, not one redis-server
	Gateways    int           // gateway replicas
	Workers     int           // worker replicas
	WorkerProcs int           // GOMAXPROCS of each worker (0: unset)
	Pin         bool          // bind worker i to CPU i mod NumCPU (Linux)
	HangUps     float64       // share of attempts whose client hangs up before the reply and retries
	Users       int           // simulated users, half widget, half webhook
	Duration    time.Duration // how long users keep sending new messages
	Faults      bool          // inject the fault schedule
	Outage      time.Duration // how long Redis is stopped
	ClaimAfter  time.Duration // redis.queue_claim_after of the replicas
	Mode        string        // answer.mode: extractive (also when empty) or generative
	Model       string        // engine.model of generative mode; empty: the embedded default
	Dir         string        // where logs and Redis data go
	Log         io.Writer     // progress lines
}

// loadReport is what a load test measured.
type loadReport struct {
	Gateways, Workers int
	Cluster           bool     `json:"cluster"`
	Mode              string   `json:"mode"`
	Duration          float64  `json:"duration_s"`
	Faults            []string `json:"faults"`
	Sent              int      `json:"sent"`
	Answered          int      `json:"answered"`
	// InTransit were processed once, but every retry was told
	// "duplicate" instead of getting the reply (it should not happen: a
	// retry gets the reply produced for the first attempt).
	InTransit int `json:"reply_lost_in_transit"`
	// Mismatched got a reply other than the one saved for the message
	// (a retry given a second answer).
	Mismatched int `json:"replies_mismatched"`
	// HungUp counts attempts whose client hung up before the reply on
	// purpose (HangUps) and retried with the same message id.
	HungUp        int     `json:"client_hang_ups"`
	Refused       int     `json:"refused"` // never accepted (503 on every try until the deadline)
	AnsweredTwice int     `json:"answered_twice"`
	Lost          int     `json:"lost"`
	OutOfOrder    int     `json:"sessions_out_of_order"`
	Sessions      int     `json:"sessions"`
	P50ms         float64 `json:"latency_p50_ms"`
	P99ms         float64 `json:"latency_p99_ms"`
	Throughput    float64 `json:"replies_per_s"`
	Retries       int     `json:"retries"`
	LoadAvg       string  `json:"load_average"` // /proc/loadavg when the load phase ended
}

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("loadtest", "[--gateways 3] [--workers 3] [--users 40] [--duration 60s] [--cluster] [--faults] [--mode extractive] [--json]", stderr)
	o := loadOptions{Log: stderr}
	fs.StringVar(&o.Binary, "binary", "", "switchboard binary the replicas run (default: this one)")
	fs.StringVar(&o.RedisServer, "redis-server", "redis-server", "redis-server binary")
	fs.StringVar(&o.RedisCLI, "redis-cli", "redis-cli", "redis-cli binary (creates the cluster)")
	fs.BoolVar(&o.Cluster, "cluster", false, "run on a Redis Cluster of 3 primaries with one replica each (faults then fail primaries over)")
	fs.IntVar(&o.Gateways, "gateways", 3, "gateway replicas (1-16)")
	fs.IntVar(&o.Workers, "workers", 3, "worker replicas (1-16)")
	fs.IntVar(&o.WorkerProcs, "worker-procs", 1, "GOMAXPROCS of each worker (0: Go's default)")
	fs.BoolVar(&o.Pin, "pin", false, "bind worker i to CPU i mod the number of CPUs (Linux; with --worker-procs 1: one core per decoder)")
	fs.IntVar(&o.Users, "users", 40, "simulated users, half widget and half webhook (1-1000)")
	fs.DurationVar(&o.Duration, "duration", time.Minute, "how long users send new messages (at most 2h; longer while faults run late)")
	fs.BoolVar(&o.Faults, "faults", false, "kill -9 workers, restart gateways, stop Redis and (with --cluster) fail primaries over, on a schedule")
	fs.DurationVar(&o.Outage, "outage", 10*time.Second, "how long Redis stays stopped")
	fs.Float64Var(&o.HangUps, "hang-ups", 0.02, "share of attempts (0-0.5) whose client hangs up before the reply and retries the same message id")
	fs.StringVar(&o.Mode, "mode", "extractive", "answer mode of the workers: extractive or generative")
	fs.StringVar(&o.Model, "model", "", "with --mode generative: this model (.gguf or folder); default: the embedded one")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	keep := fs.String("dir", "", "keep the replicas' logs and Redis data in this folder (default: a temporary folder, removed)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("loadtest: unexpected argument %q", fs.Arg(0))}
	}
	if o.Gateways < 1 || o.Gateways > 16 || o.Workers < 1 || o.Workers > 16 || o.Users < 1 || o.Users > 1000 ||
		o.Duration <= 0 || o.Duration > 2*time.Hour || o.Outage < 0 || o.Outage > time.Minute ||
		o.HangUps < 0 || o.HangUps > 0.5 || (o.Mode != "extractive" && o.Mode != "generative") ||
		(o.Model != "" && o.Mode != "generative") {
		return usageError{msg: "loadtest: a count or duration is out of range (see --help)"}
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find own binary: %w", err)
		}
		o.Binary = exe
	}
	o.Dir = *keep
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "switchboard-loadtest-")
		if err != nil {
			return fmt.Errorf("make work folder: %w", err)
		}
		defer os.RemoveAll(dir)
		o.Dir = dir
	} else if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("make work folder: %w", err)
	}
	rep, err := loadtest(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	rep.print(stdout)
	if rep.Lost > 0 || rep.AnsweredTwice > 0 || rep.OutOfOrder > 0 || rep.Mismatched > 0 {
		return errors.New("loadtest: messages lost, answered twice, out of order or given a second reply")
	}
	return nil
}

func (r loadReport) print(w io.Writer) {
	redis := "one redis-server"
	if r.Cluster {
		redis = "a Redis Cluster (3 primaries, 3 replicas)"
	}
	fmt.Fprintf(w, "replicas: %d gateways, %d workers on %s; %s answers; load phase %.0fs\n", r.Gateways, r.Workers, redis, r.Mode, r.Duration)
	for _, f := range r.Faults {
		fmt.Fprintf(w, "fault: %s\n", f)
	}
	fmt.Fprintf(w, "sent %d, answered %d, reply lost in transit %d, refused %d, answered twice %d, lost %d, reply differing from the saved one %d\n",
		r.Sent, r.Answered, r.InTransit, r.Refused, r.AnsweredTwice, r.Lost, r.Mismatched)
	fmt.Fprintf(w, "sessions %d (conversations of at most %d messages), out of order %d, retries %d (%d after the client hung up on purpose)\n",
		r.Sessions, convMessages, r.OutOfOrder, r.Retries, r.HungUp)
	fmt.Fprintf(w, "latency p50 %.0f ms, p99 %.0f ms; throughput %.1f replies/s; load average %s\n", r.P50ms, r.P99ms, r.Throughput, r.LoadAvg)
}

// replica is one switchboard child process.
type replica struct {
	role, addr, name string
	env              []string
	args             []string
	cpu              int // the CPU its threads are bound to; -1: none
	logf             *os.File
	mu               sync.Mutex
	cmd              *exec.Cmd
	exited           chan struct{}
}

// pin binds every thread of the running process to r.cpu (threads it
// starts later inherit the binding). Call it once the process is ready,
// when the runtime's threads exist.
func (r *replica) pin() error {
	r.mu.Lock()
	cmd := r.cmd
	r.mu.Unlock()
	if r.cpu < 0 || cmd == nil {
		return nil
	}
	if err := pinThreads(cmd.Process.Pid, r.cpu); err != nil {
		return fmt.Errorf("pin %s to cpu %d: %w", r.name, r.cpu, err)
	}
	return nil
}

func (r *replica) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cmd := exec.Command(r.args[0], r.args[1:]...)
	cmd.Env = append(os.Environ(), r.env...)
	cmd.Stdout, cmd.Stderr = r.logf, r.logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", r.name, err)
	}
	r.cmd, r.exited = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(r.exited)
	return nil
}

// stop signals the process and waits (at most 20 s, then SIGKILL).
func (r *replica) stop(sig syscall.Signal) {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// waitReady polls url until it answers 200 or 30 s pass.
func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after 30s", url)
}

func freeLoopbackPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// loadtest runs one load test as o says.
func loadtest(ctx context.Context, o loadOptions) (loadReport, error) {
	if o.Mode == "" {
		o.Mode = "extractive"
	}
	if o.RedisCLI == "" {
		o.RedisCLI = "redis-cli"
	}
	rep := loadReport{Gateways: o.Gateways, Workers: o.Workers, Cluster: o.Cluster, Mode: o.Mode}
	if o.ClaimAfter <= 0 {
		o.ClaimAfter = 3 * time.Second
	}
	logf, err := os.Create(filepath.Join(o.Dir, "replicas.log"))
	if err != nil {
		return rep, fmt.Errorf("create log: %w", err)
	}
	defer logf.Close()
	rds, err := startRedis(ctx, o, logf)
	defer rds.stop(syscall.SIGTERM)
	if err != nil {
		return rep, fmt.Errorf("start redis: %w (see %s)", err, logf.Name())
	}

	config := filepath.Join(o.Dir, "switchboard.yaml")
	yaml := fmt.Sprintf("log:\n  level: warn\n  format: json\nserver:\n  reply_timeout: 60s\n  shutdown_timeout: 10s\n"+
		"conversation:\n  history_turns: 200\n  rate_limit: 1000000\n  client_rate_limit: -1\n  max_fallbacks: 1000000\n  lock_ttl: 15s\n"+
		"redis:\n  queue_claim_after: %s\n  queue_max_age: 30s\nanswer:\n  mode: %s\n", o.ClaimAfter, o.Mode)
	if o.Model != "" {
		abs, err := filepath.Abs(o.Model)
		if err != nil {
			return rep, fmt.Errorf("find model: %w", err)
		}
		yaml += fmt.Sprintf("engine:\n  model: %q\n  max_tokens: 64\n", abs)
	}
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		return rep, fmt.Errorf("write config: %w", err)
	}
	secret := randHex(16)
	var gws, wks []*replica
	all := func() []*replica { return append(slices.Clone(gws), wks...) }
	defer func() {
		for _, r := range all() {
			r.stop(syscall.SIGTERM)
		}
	}()
	for i := range o.Gateways + o.Workers {
		addr, err := freeLoopbackPort()
		if err != nil {
			return rep, fmt.Errorf("pick port: %w", err)
		}
		role, name := "gateway", fmt.Sprintf("gateway-%d", i)
		if i >= o.Gateways {
			role, name = "worker", fmt.Sprintf("worker-%d", i-o.Gateways)
		}
		r := &replica{role: role, addr: addr, name: name, logf: logf,
			args: []string{o.Binary, "serve", "--role", role, "--config", config},
			env:  []string{"REDIS_URL=" + rds.url(), "SWITCHBOARD_ADDR=" + addr, "WIDGET_SECRET=" + secret, loadtestChildEnv + "=1"}, cpu: -1}
		if role == "worker" {
			if o.WorkerProcs > 0 {
				r.env = append(r.env, fmt.Sprintf("GOMAXPROCS=%d", o.WorkerProcs))
			}
			if o.Pin {
				r.cpu = len(wks) % runtime.NumCPU()
			}
			wks = append(wks, r)
		} else {
			gws = append(gws, r)
		}
		if err := r.start(); err != nil {
			return rep, err
		}
	}
	for _, r := range all() {
		if err := waitReady(ctx, "http://"+r.addr+"/readyz"); err != nil {
			return rep, fmt.Errorf("%s: %w (see %s)", r.name, err, logf.Name())
		}
		if err := r.pin(); err != nil {
			return rep, err
		}
	}
	fmt.Fprintf(o.Log, "loadtest: %d gateways, %d workers, %d users for %v on %s (%s answers)\n", o.Gateways, o.Workers, o.Users, o.Duration, rds.url(), o.Mode)

	// Faults, on a schedule over the load phase.
	start := time.Now()
	end := start.Add(o.Duration)
	var faultsWG sync.WaitGroup
	var faultMu sync.Mutex
	note := func(format string, a ...any) {
		s := fmt.Sprintf("%5.1fs ", time.Since(start).Seconds()) + fmt.Sprintf(format, a...)
		faultMu.Lock()
		rep.Faults = append(rep.Faults, s)
		faultMu.Unlock()
		fmt.Fprintln(o.Log, "loadtest: fault:", s)
	}
	// Users: each has conversations of at most convMessages messages, one
	// after another, until the load phase ends.
	var users []*loadUser // one per conversation; guarded by usersMu until wg.Wait
	var usersMu sync.Mutex
	lastSession := func() string { // a session key of a conversation going on
		usersMu.Lock()
		defer usersMu.Unlock()
		if len(users) == 0 {
			return "sb:{queue}:jobs"
		}
		return users[len(users)-1].historyKey()
	}

	fctx, stopFaults := context.WithCancel(ctx)
	defer stopFaults()
	faultsDone := make(chan struct{})
	if o.Faults {
		faultsWG.Add(1)
		go func() {
			defer faultsWG.Done()
			defer close(faultsDone)
			runFaults(fctx, o, start, gws, wks, rds, lastSession, note)
		}()
	} else {
		close(faultsDone)
	}
	// The load goes on for o.Duration and, when faults run late (each
	// waits for the previous one to be undone), until the last one is
	// undone: every fault happens under load.
	loadOn := func() bool {
		if time.Now().Before(end) {
			return true
		}
		select {
		case <-faultsDone:
			return false
		default:
			return true
		}
	}

	var wg sync.WaitGroup
	for i := range o.Users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := 0; c < 100_000 && loadOn() && ctx.Err() == nil; c++ {
				u := &loadUser{id: fmt.Sprintf("u%03d", i), conv: randHex(16), webhook: i%2 == 1, secret: []byte(secret), gws: gws, hangUps: o.HangUps}
				usersMu.Lock()
				users = append(users, u)
				usersMu.Unlock()
				u.run(ctx, loadOn, convMessages)
			}
		}()
	}
	wg.Wait()
	loadPhase := time.Since(start)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		rep.LoadAvg = strings.Join(f[:min(3, len(f))], " ")
	}
	stopFaults()
	faultsWG.Wait()
	// Every replica is back up by now (the fault loop restarts what it stops).

	// Let the queue drain, then read every session's history. (The
	// client is made only now: a cluster client would keep dialing the
	// nodes the faults stop, and log each failure.)
	rdb := rds.client()
	defer rdb.Close()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(200 * time.Millisecond) {
		if n, err := rdb.XLen(ctx, "sb:{queue}:jobs").Result(); err == nil && n == 0 {
			break
		}
	}
	rep.Duration = loadPhase.Seconds()
	var lat []float64
	for _, u := range users {
		rep.Sessions++
		raw, err := rdb.LRange(ctx, u.historyKey(), 0, -1).Result()
		if err != nil {
			return rep, fmt.Errorf("read history of %s: %w", u.id, err)
		}
		seen := map[string]int{}
		saved := map[string]string{} // message id: the reply saved after it
		prev := -1
		ordered := true
		last := ""
		for _, s := range raw {
			var t struct {
				Role      string `json:"role"`
				Text      string `json:"text"`
				MessageID string `json:"message_id"`
			}
			if json.Unmarshal([]byte(s), &t) != nil {
				continue
			}
			if t.Role == "assistant" && last != "" {
				saved[last] = t.Text
			}
			last = ""
			if t.Role != "user" {
				continue
			}
			id, _, _ := strings.Cut(strings.TrimPrefix(t.MessageID, u.conv+":"), "#r")
			last = id
			seen[id]++
			var k int
			fmt.Sscanf(id, "m%d", &k)
			if k <= prev {
				ordered = false
			}
			prev = k
		}
		if !ordered {
			rep.OutOfOrder++
		}
		for _, m := range u.msgs {
			n := seen[m.id]
			if n != 1 && m.outcome != "refused" || m.outcome == "refused" && n != 0 || m.outcome == "failed" {
				fmt.Fprintf(o.Log, "loadtest: %s %s: %s after %d tries (last: %s), %d times in the history\n", u.id, m.id, m.outcome, m.tries, m.last, n)
			}
			rep.Sent++
			rep.Retries += m.tries - 1
			rep.HungUp += m.hungUp
			if m.outcome == "answered" && n == 1 && m.reply != saved[m.id] {
				rep.Mismatched++
				fmt.Fprintf(o.Log, "loadtest: %s %s: got reply %q, saved %q\n", u.id, m.id, m.reply, saved[m.id])
			}
			if n > 1 {
				rep.AnsweredTwice++
			}
			switch m.outcome {
			case "answered":
				rep.Answered++
				lat = append(lat, m.latency.Seconds()*1000)
				if n == 0 {
					rep.Lost++
				}
			case "duplicate":
				rep.InTransit++
				if n == 0 {
					rep.Lost++
				}
			case "refused":
				rep.Refused++
			default: // gave up after errors that may have come after acceptance
				if n == 0 {
					rep.Lost++
				} else {
					rep.InTransit++
				}
			}
		}
	}
	slices.Sort(lat)
	rep.P50ms, rep.P99ms = percentile(lat, 0.5), percentile(lat, 0.99)
	rep.Throughput = float64(rep.Answered) / math.Max(loadPhase.Seconds(), 1e-9)
	return rep, nil
}

// runFaults injects faults at fixed fractions of the load phase: kill -9
// a worker (restarted 2 s later), restart a gateway, stop Redis (every
// node) for o.Outage, kill -9 another worker and a gateway; on a cluster
// also a graceful failover of the primary holding the job stream
// (CLUSTER FAILOVER) and a hard one of the primary holding a live
// session (kill -9; the node rejoins as a replica). Each fault is noted
// twice: when it starts and when everything is back. Every stopped
// process is started again before it returns.
func runFaults(ctx context.Context, o loadOptions, start time.Time, gws, wks []*replica, rds *redisSet, session func() string, note func(string, ...any)) {
	at := func(frac float64) bool {
		t := time.NewTimer(time.Until(start.Add(time.Duration(frac * float64(o.Duration)))))
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	restart := func(r *replica, sig syscall.Signal, pause time.Duration, what string) {
		note("%s %s", what, r.name)
		r.stop(sig)
		time.Sleep(pause)
		if err := r.start(); err != nil {
			note("restart %s failed: %v", r.name, err)
			return
		}
		if err := waitReady(context.Background(), "http://"+r.addr+"/readyz"); err != nil {
			note("%s: %v", r.name, err)
		}
		if err := r.pin(); err != nil {
			note("%s: %v", r.name, err)
		}
		note("%s is back", r.name)
	}
	stopRedis := func() {
		note("stop redis for %v (%d nodes)", o.Outage, len(rds.nodes))
		rds.stop(syscall.SIGTERM)
		time.Sleep(o.Outage)
		if err := rds.restart(context.Background()); err != nil {
			note("restart redis failed: %v", err)
			return
		}
		note("redis is back")
	}
	failover := func(key string, graceful bool) {
		note("fail over the primary of %s (graceful: %v)", key, graceful)
		what, err := rds.failover(context.Background(), key, graceful)
		if err != nil {
			note("failover failed: %v", err)
			return
		}
		note("%s", what)
	}
	type step struct {
		frac float64
		do   func()
	}
	steps := []step{
		{0.1, func() { restart(wks[0], syscall.SIGKILL, 2*time.Second, "kill -9") }},
		{0.35, func() { restart(gws[len(gws)-1], syscall.SIGTERM, time.Second, "restart") }},
		{0.5, stopRedis},
		{0.75, func() { restart(wks[len(wks)-1], syscall.SIGKILL, 2*time.Second, "kill -9") }},
		{0.85, func() { restart(gws[0], syscall.SIGKILL, time.Second, "kill -9") }},
	}
	if rds.cluster {
		steps = append(steps,
			step{0.2, func() { failover("sb:{queue}:jobs", true) }},
			step{0.62, func() { failover(session(), false) }},
		)
		slices.SortFunc(steps, func(a, b step) int { return cmp.Compare(a.frac, b.frac) })
	}
	for _, s := range steps {
		if !at(s.frac) {
			return
		}
		s.do()
	}
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// questions the demo help centre answers.
var loadQuestions = []string{
	"How do I reset my password?",
	"What plans do you have and how much do they cost?",
	"How do I cancel my plan?",
	"My parcel is lost, what can I do?",
	"How long does delivery take to Germany?",
	"How do I collect a parcel from a locker?",
	"Can I get a refund?",
	"Which payment methods do you accept?",
	"Is there a student discount?",
	"How do I delete my account?",
}

// A loadUser is one conversation of a simulated customer: messages sent
// one after another to a random gateway, each retried (same message id)
// until it is answered or refused for good.
type loadUser struct {
	id, conv string
	webhook  bool
	secret   []byte
	gws      []*replica
	hangUps  float64 // share of attempts hung up on before the reply
	msgs     []*loadMsg
}

// historyKey is the Redis key of the user's session history.
func (u *loadUser) historyKey() string {
	channel := web.ChannelWidget
	if u.webhook {
		channel = web.ChannelWebhook
	}
	return "sb:{" + conversation.Address{Platform: web.Platform, Channel: channel, Thread: u.conv}.SessionID() + "}:history"
}

type loadMsg struct {
	id      string
	outcome string // answered, duplicate, refused, failed
	reply   string // the text of the reply, when answered
	last    string // the last attempt's status or error
	tries   int
	hungUp  int // attempts the client hung up on on purpose
	latency time.Duration
}

var loadClient = &http.Client{Timeout: 70 * time.Second}

// convMessages bounds a simulated conversation, so that its whole history
// (2 turns a message) stays within conversation.history_turns and can be
// checked.
const convMessages = 50

// run sends up to n messages, while loadOn says the load goes on.
func (u *loadUser) run(ctx context.Context, loadOn func() bool, n int) {
	for k := 0; k < n && loadOn() && ctx.Err() == nil; k++ {
		m := &loadMsg{id: fmt.Sprintf("m%05d", k)}
		u.msgs = append(u.msgs, m)
		u.send(ctx, m, loadQuestions[mrand.IntN(len(loadQuestions))])
		time.Sleep(time.Duration(mrand.IntN(50)) * time.Millisecond)
	}
}

// send delivers one message, retrying for up to 90 s.
func (u *loadUser) send(ctx context.Context, m *loadMsg, text string) {
	req := web.Request{Text: text, ConversationID: u.conv, User: web.User{ID: u.id}, MessageID: m.id}
	if !u.webhook {
		req.Token = web.Token(u.secret, u.conv)
	}
	body, _ := json.Marshal(req)
	start := time.Now()
	deadline := start.Add(90 * time.Second)
	backoff := 100 * time.Millisecond
	accepted := false // an attempt may have reached a worker
	for ; time.Now().Before(deadline) && ctx.Err() == nil; m.tries++ {
		gw := u.gws[mrand.IntN(len(u.gws))]
		actx, hangUp := context.WithCancel(ctx)
		if mrand.Float64() < u.hangUps {
			// The client goes away before its reply comes (a closed tab,
			// a dropped mobile connection) and retries the same message.
			time.AfterFunc(time.Duration(mrand.IntN(20))*time.Millisecond, hangUp)
		}
		hr, _ := http.NewRequestWithContext(actx, http.MethodPost, "http://"+gw.addr+"/api/v1/messages", bytes.NewReader(body))
		hr.Header.Set("Content-Type", "application/json")
		if u.webhook {
			hr.Header.Set(web.SignatureHeader, web.Sign(u.secret, body, time.Now()))
		}
		resp, err := loadClient.Do(hr)
		status := 0
		var eb web.ErrorBody
		var ok web.Response
		m.last = fmt.Sprint(err)
		if err == nil {
			status = resp.StatusCode
			b, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if rerr != nil {
				status = 0 // the body was cut off: as good as no answer
			}
			_ = json.Unmarshal(b, &eb)
			_ = json.Unmarshal(b, &ok)
			m.last = fmt.Sprintf("%d %s", status, eb.Error.Message)
		}
		if status == 0 && actx.Err() != nil && ctx.Err() == nil {
			m.hungUp++ // the reply, if any, is lost: retry
		}
		hangUp()
		switch {
		case status == http.StatusOK && ok.Reply != nil:
			m.outcome, m.latency, m.reply = "answered", time.Since(start), ok.Reply.Text
			m.tries++
			return
		case status == http.StatusConflict && eb.Error.Code == web.CodeDuplicate:
			m.outcome = "duplicate"
			m.tries++
			return
		case status == http.StatusConflict || status == http.StatusTooManyRequests || status == http.StatusBadRequest || status == http.StatusUnauthorized:
			m.outcome = "refused"
			m.tries++
			return
		}
		// 503 from the gate was refused before enqueueing; anything else
		// (a broken connection, a 503 after a timeout) may have been taken.
		if !(status == http.StatusServiceUnavailable && gateRefusal(eb)) {
			accepted = true
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 2*time.Second)
	}
	m.outcome = "refused"
	if accepted {
		m.outcome = "failed"
	}
}

// gateRefusal reports a 503 a gateway gave before taking the message.
func gateRefusal(eb web.ErrorBody) bool {
	return strings.Contains(eb.Error.Message, "retry in a few seconds")
}

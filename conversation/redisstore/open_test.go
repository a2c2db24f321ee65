package redisstore

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestNewClient(t *testing.T) {
	tests := []struct {
		name, url string
		kind      string // "node", "cluster" or "sentinel"
		addrs     []string
		db        int
		password  string
		read      time.Duration
		master    string
	}{
		{name: "node", url: "redis://localhost:6380/2", kind: "node", addrs: []string{"localhost:6380"}, db: 2, read: DefaultReadTimeout},
		{name: "node default port", url: "redis://:pw@example.com", kind: "node", addrs: []string{"example.com:6379"}, password: "pw", read: DefaultReadTimeout},
		{name: "node options", url: "redis://localhost:6379?read_timeout=5s", kind: "node", addrs: []string{"localhost:6379"}, read: 5 * time.Second},
		{name: "tls node", url: "rediss://u:pw@cache.internal:6390/1", kind: "node", addrs: []string{"cache.internal:6390"}, db: 1, password: "pw", read: DefaultReadTimeout},
		{name: "bare address", url: "127.0.0.1:7000", kind: "node", addrs: []string{"127.0.0.1:7000"}, read: DefaultReadTimeout},
		{name: "bare list", url: "10.0.0.1:7000, 10.0.0.2:7001", kind: "cluster", addrs: []string{"10.0.0.1:7000", "10.0.0.2:7001"}, read: DefaultReadTimeout},
		{name: "cluster", url: "redis+cluster://:pw@a:7000,b:7001,c", kind: "cluster", addrs: []string{"a:7000", "b:7001", "c:6379"}, password: "pw", read: DefaultReadTimeout},
		{name: "cluster one seed", url: "redis+cluster://a:7000?read_timeout=3s", kind: "cluster", addrs: []string{"a:7000"}, read: 3 * time.Second},
		{name: "redis list is cluster", url: "redis://a:7000,b:7001", kind: "cluster", addrs: []string{"a:7000", "b:7001"}, read: DefaultReadTimeout},
		{name: "cluster addr option", url: "rediss+cluster://a:7000?addr=b:7001", kind: "cluster", addrs: []string{"a:7000", "b:7001"}, read: DefaultReadTimeout},
		{name: "sentinel", url: "redis+sentinel://:pw@s1,s2:26380/mymaster/3", kind: "sentinel", addrs: []string{"s1:26379", "s2:26380"}, master: "mymaster", db: 3, password: "pw", read: DefaultReadTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb, err := NewClient(tt.url)
			if err != nil {
				t.Fatalf("NewClient(%q): %v", tt.url, err)
			}
			defer rdb.Close()
			switch c := rdb.(type) {
			case *redis.ClusterClient:
				o := c.Options()
				if tt.kind != "cluster" {
					t.Fatalf("NewClient(%q) is a cluster client, want %s", tt.url, tt.kind)
				}
				check(t, tt.url, o.Addrs, tt.addrs, 0, tt.db, o.Password, tt.password, o.ReadTimeout, tt.read)
			case *redis.Client:
				o := c.Options()
				if tt.kind == "cluster" {
					t.Fatalf("NewClient(%q) is a single client, want a cluster", tt.url)
				}
				if tt.kind == "sentinel" {
					// go-redis keeps the sentinel settings inside the dialer;
					// what shows is the failover marker and the common options.
					if o.Addr != "FailoverClient" {
						t.Fatalf("NewClient(%q).Addr = %q, want a failover client", tt.url, o.Addr)
					}
					check(t, tt.url, nil, nil, o.DB, tt.db, o.Password, tt.password, o.ReadTimeout, tt.read)
					return
				}
				check(t, tt.url, []string{o.Addr}, tt.addrs, o.DB, tt.db, o.Password, tt.password, o.ReadTimeout, tt.read)
			default:
				t.Fatalf("NewClient(%q) = %T", tt.url, rdb)
			}
		})
	}
}

func check(t *testing.T, url string, addrs, wantAddrs []string, db, wantDB int, pw, wantPW string, read, wantRead time.Duration) {
	t.Helper()
	if len(addrs) != len(wantAddrs) {
		t.Errorf("NewClient(%q) addrs = %q, want %q", url, addrs, wantAddrs)
	} else {
		for i := range addrs {
			if addrs[i] != wantAddrs[i] {
				t.Errorf("NewClient(%q) addrs = %q, want %q", url, addrs, wantAddrs)
				break
			}
		}
	}
	if db != wantDB {
		t.Errorf("NewClient(%q) db = %d, want %d", url, db, wantDB)
	}
	if pw != wantPW {
		t.Errorf("NewClient(%q) password = %q, want %q", url, pw, wantPW)
	}
	if read != wantRead {
		t.Errorf("NewClient(%q) read timeout = %v, want %v", url, read, wantRead)
	}
}

func TestNewClientErrors(t *testing.T) {
	for _, url := range []string{
		"http://localhost:6379",
		"redis+cluster://a:1/3",
		"redis+sentinel://s1:26379",
		"redis+cluster://a:1,,b:2",
		"",
	} {
		rdb, err := NewClient(url)
		if err == nil {
			rdb.Close()
			t.Errorf("NewClient(%q) = nil error, want an error", url)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://:secret@h:1/0", "redis://:xxxxx@h:1/0"},
		{"redis+cluster://user:secret@a:1,b:2", "redis+cluster://user:xxxxx@a:1,b:2"},
		{"redis://h:1", "redis://h:1"},
		{"h:1,h:2", "h:1,h:2"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package redisstore

import "testing"

// FuzzNewClient checks that no REDIS_URL makes NewClient or redactURL
// panic.
func FuzzNewClient(f *testing.F) {
	for _, seed := range []string{
		"redis://localhost:6379/0",
		"rediss://user:pw@h:6380/1?read_timeout=1s",
		"redis+cluster://:pw@a:1,b:2,c?addr=d:4",
		"redis+sentinel://:pw@s1,s2:26380/mymaster/3",
		"a:1,b:2",
		"redis://[::1]:6379",
		"redis://:@/",
		"redis+cluster://,",
		"://",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, url string) {
		_ = redactURL(url)
		rdb, err := NewClient(url)
		if err == nil {
			rdb.Close()
			return
		}
		_ = err.Error()
	})
}

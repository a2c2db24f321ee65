package knowledge

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLiveFollowsEdits edits files under a running index while searches
// run, and checks that searches see the new content and never fail: for
// an index built from the folder, and for one started from an index file
// written before the folder last changed, which must also be kept up to
// date as the folder's cache.
func TestLiveFollowsEdits(t *testing.T) {
	for _, from := range []string{"folder", "index file"} {
		t.Run(from, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "refunds.md"), "# Refunds\n\nRefunds take 5 days.\n")
			logs := &syncBuffer{}
			opts := LiveOptions{PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var live *Live
			file := filepath.Join(t.TempDir(), "kb.idx")
			if from == "folder" {
				var err error
				if live, err = OpenLive(ctx, dir, opts); err != nil {
					t.Fatal(err)
				}
			} else {
				live = openStaleFile(t, ctx, dir, file, opts)
			}
			followEdits(t, ctx, live, dir, logs)
			if from == "index file" {
				// The file now caches the folder as it was last seen.
				cached, release, err := MapFile(file)
				if err != nil {
					t.Fatal(err)
				}
				defer release()
				for q, want := range map[string]string{"okapicode": "faq.json", "wallabycode": "wallaby.md", "giraffecode": ""} {
					got, err := cached.Search(ctx, q, 3)
					if err != nil || (want == "") != (len(got) == 0) || (want != "" && got[0].DocID != want) {
						t.Errorf("saved index: Search(%q) = %v, %v; want %q", q, got, err, want)
					}
				}
				if cached.Source() != live.Dir() || live.Dir() == "" {
					t.Errorf("saved index source %q, live follows %q", cached.Source(), live.Dir())
				}
			}
		})
	}
}

// openStaleFile saves an index of dir to file, then adds wallaby.md to
// dir, and starts a Live from the file: it serves the file's (older)
// content until Run has looked at the folder.
func openStaleFile(t *testing.T, ctx context.Context, dir, file string, opts LiveOptions) *Live {
	t.Helper()
	ix, err := Open(ctx, dir, LoadOptions{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Save(file); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "wallaby.md"), "# Wallabies\n\nAsk for the wallabycode.\n")
	live, err := OpenLiveFile(ctx, file, opts)
	if err != nil {
		t.Fatal(err)
	}
	if abs, _ := filepath.Abs(dir); live.Dir() != abs {
		t.Errorf("OpenLiveFile follows %q, want %q", live.Dir(), abs)
	}
	if got, _ := live.Search(ctx, "wallabycode", 3); len(got) != 0 {
		t.Errorf("Search before Run found %v; want the file's content, without wallaby.md", got)
	}
	return live
}

// followEdits runs live and searches it from four goroutines while it
// adds, edits, breaks, fixes and deletes files in dir, checking each
// change becomes searchable and no search fails.
func followEdits(t *testing.T, ctx context.Context, live *Live, dir string, logs *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		live.Run(ctx)
	}()

	// Searchers: the stable article must always be found.
	var searches, failures atomic.Int64
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := live.Search(ctx, "refunds", 3)
				searches.Add(1)
				if err != nil || len(got) == 0 || got[0].DocID != "refunds.md" {
					failures.Add(1)
				}
				time.Sleep(100 * time.Microsecond) // leave the rebuilds some CPU
			}
		}()
	}
	has := func(q, doc string) func() bool {
		return func() bool {
			got, err := live.Search(ctx, q, 5)
			if err != nil {
				return false
			}
			for _, s := range got {
				if s.DocID == doc {
					return true
				}
			}
			return false
		}
	}
	defer func() {
		close(stop)
		cancel()
		wg.Wait()
		if n, f := searches.Load(), failures.Load(); f > 0 || n == 0 {
			t.Errorf("%d of %d concurrent searches failed during reloads", f, n)
		}
	}()

	if _, err := os.Stat(filepath.Join(dir, "wallaby.md")); err == nil {
		waitFor(t, "a file added before the start to be searchable", has("wallabycode", "wallaby.md"))
	}
	// Add a file.
	writeFile(t, filepath.Join(dir, "lockers.md"), "# Lockers\n\nLockers open with a zebracode.\n")
	waitFor(t, "added file to be searchable", has("zebracode", "lockers.md"))
	// Edit it.
	writeFile(t, filepath.Join(dir, "lockers.md"), "# Lockers\n\nLockers now open with a giraffecode instead.\n")
	waitFor(t, "edited content to be searchable", has("giraffecode", "lockers.md"))
	if has("zebracode", "lockers.md")() {
		t.Error("old content still found after the edit")
	}
	// A broken FAQ keeps the previous index and is logged.
	writeFile(t, filepath.Join(dir, "faq.json"), `[{"question": "unterminated`)
	waitFor(t, "broken file to be logged", func() bool { return strings.Contains(logs.String(), "keeping the previous index") })
	if !has("giraffecode", "lockers.md")() {
		t.Error("index lost after a failed reload")
	}
	// Fix it, and delete the lockers article.
	writeFile(t, filepath.Join(dir, "faq.json"), `[{"question": "Is there an okapicode?", "answer": "Yes."}]`)
	if err := os.Remove(filepath.Join(dir, "lockers.md")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "fixed FAQ to be searchable", has("okapicode", "faq.json"))
	waitFor(t, "deleted file to disappear", func() bool { return !has("giraffecode", "lockers.md")() })
}

// TestLiveFileWithoutFolder serves an index file whose folder is gone and
// follows the file itself: a new file renamed over it is swapped in.
func TestLiveFileWithoutFolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), "# A\n\nalpha wombat\n")
	ix, err := Open(ctx, dir, LoadOptions{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "kb.idx")
	if err := ix.Save(file); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	live, err := OpenLiveFile(ctx, file, LiveOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if live.Dir() != "" {
		t.Errorf("Dir() = %q for a removed folder, want \"\"", live.Dir())
	}
	if changed, err := live.Refresh(ctx); err != nil || changed {
		t.Errorf("Refresh(unchanged file) = %v, %v; want false, nil", changed, err)
	}
	if got, _ := live.Search(ctx, "wombat", 3); len(got) != 1 {
		t.Errorf("Search(wombat) = %v; want a.md from the file", got)
	}

	other := openTestKB(t, Options{})
	if err := other.Save(file); err != nil {
		t.Fatal(err)
	}
	if changed, err := live.Refresh(ctx); err != nil || !changed {
		t.Fatalf("Refresh(replaced file) = %v, %v; want true, nil", changed, err)
	}
	if live.Index().Len() != other.Len() {
		t.Errorf("after the file was replaced: %d chunks, want %d", live.Index().Len(), other.Len())
	}
	if n, err := live.Reload(ctx); err != nil || n != other.Len() {
		t.Errorf("Reload = %d, %v; want %d, nil", n, err, other.Len())
	}
	// A broken file keeps the index.
	writeFile(t, file, "SBKIDX04 but not really")
	if changed, err := live.Refresh(ctx); !errors.Is(err, ErrIndexFormat) || changed {
		t.Errorf("Refresh(broken file) = %v, %v; want false, ErrIndexFormat", changed, err)
	}
	if live.Index().Len() != other.Len() {
		t.Error("a broken index file replaced the index")
	}
	if _, err := OpenLiveFile(ctx, filepath.Join(dir, "missing.idx"), LiveOptions{}); err == nil {
		t.Error("OpenLiveFile(missing file) succeeded")
	}
}

// settle is the first look at a changed folder: it sees the change and
// rebuilds nothing yet.
func settle(t *testing.T, live *Live) {
	t.Helper()
	if changed, err := live.Refresh(context.Background()); err != nil || changed {
		t.Fatalf("first Refresh after a change = %v, %v; want false, nil (rebuilt once settled)", changed, err)
	}
}

// TestLiveWaitsForFilesToSettle: a file still being written (changed
// between two looks) is not indexed; once it stays the same it is. An
// edit that keeps the file's size and sets its modification time back
// is still seen.
func TestLiveWaitsForFilesToSettle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "births.md")
	writeFile(t, path, "# Births\n\nA short certificate costs £12.50.\n")
	ctx := context.Background()
	live, err := OpenLive(ctx, dir, LiveOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	text := func() string {
		got, _ := live.Search(ctx, "short certificate", 1)
		if len(got) == 0 {
			return ""
		}
		return got[0].Text
	}
	// Half written, then more, then done.
	writeFile(t, path, "# Births\n\nA short certificate costs £1")
	settle(t, live)
	writeFile(t, path, "# Births\n\nA short certificate costs £13.00.\n")
	settle(t, live)
	if got := text(); !strings.Contains(got, "£12.50") {
		t.Fatalf("while the file changed: %q; want the old text", got)
	}
	if changed, err := live.Refresh(ctx); err != nil || !changed {
		t.Fatalf("Refresh(settled) = %v, %v; want true, nil", changed, err)
	}
	if got := text(); !strings.Contains(got, "£13.00") {
		t.Fatalf("settled: %q; want the new text", got)
	}

	// Same size, modification time set back.
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "# Births\n\nA short certificate costs £14.00.\n")
	if err := os.Chtimes(path, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	settle(t, live)
	if changed, err := live.Refresh(ctx); err != nil || !changed {
		t.Fatalf("Refresh(same size, same time) = %v, %v; want true, nil", changed, err)
	}
	if got := text(); !strings.Contains(got, "£14.00") {
		t.Errorf("after a same-size edit: %q; want the new text", got)
	}
}

func TestLiveReload(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), "# A\n\nalpha\n")
	ctx := context.Background()
	live, err := OpenLive(ctx, dir, LiveOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := live.Refresh(ctx); err != nil || changed {
		t.Errorf("Refresh(unchanged) = %v, %v; want false, nil", changed, err)
	}
	old := live.Index()
	writeFile(t, filepath.Join(dir, "b.md"), "# B\n\nbeta\n")
	n, err := live.Reload(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Reload = %d, %v; want 2 chunks", n, err)
	}
	if live.Index() == old {
		t.Error("Reload did not swap the index")
	}
	if old.Len() != 1 {
		t.Errorf("old index changed: %d chunks, want 1 (indexes are immutable)", old.Len())
	}
	if _, err := OpenLive(ctx, filepath.Join(dir, "missing"), LiveOptions{}); err == nil {
		t.Error("OpenLive(missing folder) succeeded")
	}
}

// TestLiveKeepsIndexWhenEmptied empties the folder (as a copy caught
// half-way would) and checks the previous index stays, Reload says why,
// and the poll loop logs it; an empty folder at the start is no error.
func TestLiveKeepsIndexWhenEmptied(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), "# A\n\nalpha wombat\n")
	logs := &syncBuffer{}
	ctx := context.Background()
	live, err := OpenLive(ctx, dir, LiveOptions{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	old := live.Index()
	if err := os.Remove(filepath.Join(dir, "a.md")); err != nil {
		t.Fatal(err)
	}
	n, err := live.Reload(ctx)
	if !errors.Is(err, ErrEmptyKnowledge) || n != 0 {
		t.Errorf("Reload(emptied folder) = %d, %v; want 0, ErrEmptyKnowledge", n, err)
	}
	if live.Index() != old {
		t.Error("Reload swapped in an empty index")
	}
	if changed, err := live.Refresh(ctx); !errors.Is(err, ErrEmptyKnowledge) || changed {
		t.Errorf("Refresh(emptied folder) = %v, %v; want false, ErrEmptyKnowledge", changed, err)
	}
	if got, err := live.Search(ctx, "wombat", 3); err != nil || len(got) == 0 {
		t.Errorf("Search after emptying = %v, %v; want the old article", got, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "keeping the previous index") {
		t.Errorf("no warning logged; logs:\n%s", logs)
	}
	// The copy completes: the new content is swapped in.
	writeFile(t, filepath.Join(dir, "b.md"), "# B\n\nbeta quokka\n")
	settle(t, live)
	if changed, err := live.Refresh(ctx); err != nil || !changed {
		t.Fatalf("Refresh(refilled folder) = %v, %v; want true, nil", changed, err)
	}
	if got, _ := live.Search(ctx, "quokka", 3); len(got) == 0 || got[0].DocID != "b.md" {
		t.Errorf("Search(quokka) = %v; want b.md", got)
	}

	empty, err := OpenLive(ctx, t.TempDir(), LiveOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil || empty.Index().Len() != 0 {
		t.Fatalf("OpenLive(empty folder) = %v; want an empty index", err)
	}
	if n, err := empty.Reload(ctx); err != nil || n != 0 {
		t.Errorf("Reload(empty to empty) = %d, %v; want 0, nil", n, err)
	}
}

// TestLiveConfinedToFolder checks that a symlink to a file outside the
// folder is not followed by default, and is when FS says so.
func TestLiveConfinedToFolder(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.md"), "# Secret\n\nthe vault code is narwhal\n")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), "# A\n\nalpha\n")
	if err := os.Symlink(filepath.Join(outside, "secret.md"), filepath.Join(dir, "link.md")); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	if live, err := OpenLive(ctx, dir, LiveOptions{Logger: quiet}); err == nil {
		got, _ := live.Search(ctx, "narwhal", 3)
		t.Errorf("OpenLive followed a symlink out of the folder: %d chunks, search found %v", live.Index().Len(), got)
	}
	if _, err := Load(ctx, dir, LoadOptions{}); err == nil {
		t.Error("Load followed a symlink out of the folder")
	} else if !strings.Contains(err.Error(), "link.md: open: it is a link to "+filepath.Join(outside, "secret.md")) {
		t.Errorf("Load error = %v, want one that says link.md links out of the folder", err)
	}

	// An FS that follows links, given on purpose, indexes it.
	live, err := OpenLive(ctx, dir, LiveOptions{Logger: quiet, FS: os.DirFS(dir)})
	if err != nil {
		t.Fatalf("OpenLive with FS = os.DirFS: %v", err)
	}
	if got, _ := live.Search(ctx, "narwhal", 3); len(got) == 0 || got[0].DocID != "link.md" {
		t.Errorf("FS = os.DirFS: Search(narwhal) = %v; want link.md", got)
	}
}

// TestLiveLogsAFailureOnce: a folder that stays broken is logged once,
// not at every look, and logged again once it breaks otherwise.
func TestLiveLogsAFailureOnce(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "kb")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "a.md"), "# A\n\nalpha\n")
	logs := &syncBuffer{}
	live, err := OpenLive(context.Background(), dir, LiveOptions{PollInterval: 5 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { live.Run(ctx); close(done) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	<-done
	if n := strings.Count(logs.String(), "knowledge not reloaded"); n != 1 {
		t.Errorf("the missing folder was logged %d times in 20 looks, want once:\n%s", n, logs)
	}
	if _, _, failing := live.Status(); !failing {
		t.Error("Status does not report the failing folder")
	}
}

// TestLiveFailingClearsWhenFolderIsBack: a forced reload that fails on a
// broken file reports failing; once the file is removed, the folder is
// what the index serves again, and the next look clears it without a
// rebuild (it stayed failing until some other file changed).
func TestLiveFailingClearsWhenFolderIsBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), "# A\n\nalpha\n")
	live, err := OpenLive(ctx, dir, LiveOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.md")
	writeFile(t, bad, "# Bad\n\n\x00\x01\x02 binary\n")
	if _, err := live.Reload(ctx); err == nil {
		t.Fatal("Reload with a binary article: no error")
	}
	if _, _, failing := live.Status(); !failing {
		t.Fatal("Status after a failed reload: not failing")
	}
	if err := os.Remove(bad); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first look may wait for the folder to settle
		if _, err := live.Refresh(ctx); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
	}
	if _, _, failing := live.Status(); failing {
		t.Error("Status with the broken file removed: still failing")
	}
}

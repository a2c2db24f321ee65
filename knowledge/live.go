package knowledge

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultPollInterval is how often Live.Run looks for changed files.
const DefaultPollInterval = 2 * time.Second

// LiveOptions configure a Live index. The zero value gives the defaults.
type LiveOptions struct {
	Load  LoadOptions
	Index Options
	// PollInterval is how often Run checks the folder for changes. Zero
	// means DefaultPollInterval.
	PollInterval time.Duration
	Logger       *slog.Logger // nil means slog.Default()
	// FS, when set, is read instead of the folder (the dir argument then
	// only names it in logs and errors). Nil means the folder opened with
	// os.OpenRoot on each rebuild: reads, symlinks included, are confined
	// to it, so a symlink pointing outside the folder fails the rebuild
	// instead of indexing what it points at. Pass os.DirFS(dir) to follow
	// such links on purpose.
	FS fs.FS
}

// ErrEmptyKnowledge reports a rebuild that found no chunks where the
// current index has some (a folder emptied, or caught mid-copy); the
// current index stays.
var ErrEmptyKnowledge = errors.New("knowledge: folder has no articles; keeping the previous index")

// Live is an index that follows a knowledge folder: Run polls the folder
// (file names, sizes and modification times) and rebuilds the index when
// anything changed; Reload rebuilds on demand. Each new index is swapped in
// atomically, so a search sees either the old or the new index, never a
// mix. A rebuild that fails (say, a half-written FAQ file) keeps the
// previous index and is logged; so does one that finds no chunks when the
// previous index had some (ErrEmptyKnowledge). Started from an index file
// (OpenLiveFile), it also keeps that file up to date. Live is safe for
// concurrent use.
type Live struct {
	dir  string // the folder followed; "" when only the index file is
	file string // the index file kept as the folder's cache, or followed itself; "" for none
	opts LiveOptions
	log  *slog.Logger
	cur  atomic.Pointer[Index]

	mu sync.Mutex // serialises rebuilds
	// stamp is the fingerprint last rebuilt from (or failed to be, on a
	// look: see refresh), served the one the current index was built
	// from; guarded by mu.
	stamp, served uint64
	// seen is the folder's fingerprint at the last look, and looked
	// whether there was one; guarded by mu. See refresh.
	seen   uint64
	looked bool

	// loaded is when the current index was swapped in (Unix
	// nanoseconds), and failing whether the last look at the source
	// failed (see Status).
	loaded  atomic.Int64
	failing atomic.Bool
}

var (
	_ Retriever = (*Live)(nil)
	_ Speller   = (*Live)(nil)
	_ Linguist  = (*Live)(nil)
	_ Comparer  = (*Live)(nil)
)

// OpenLive loads and indexes dir. Call Run to follow changes.
func OpenLive(ctx context.Context, dir string, opts LiveOptions) (*Live, error) {
	l := newLive(dir, "", opts)
	if _, err := l.Reload(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// OpenLiveFile starts from the index file at path, written by Save or
// `switchboard index`, memory-mapped so that a large help centre starts
// in well under a second, and follows the knowledge folder recorded in
// it (Index.Source) like OpenLive: when the folder has changed since the
// file was written, or changes later, Run rebuilds the index from the
// folder, swaps it in and saves it back to path (atomically, by rename),
// so the file is a cache of the folder, not a frozen copy. opts.FS, when
// set, is read instead of the recorded folder.
//
// When the file records no folder, or the folder is gone, Live follows
// the file itself: a new file written over path (by rename, as Save
// does) is read and swapped in.
//
// The first mapping stays for the life of the process (a search may
// still read it after a swap); later files are read into memory.
func OpenLiveFile(ctx context.Context, path string, opts LiveOptions) (*Live, error) {
	ix, _, err := MapFile(path)
	if err != nil {
		return nil, err
	}
	dir := ix.source
	if opts.FS == nil && dir != "" {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			dir = ""
		}
	}
	l := newLive(dir, path, opts)
	if dir == "" {
		l.log.Info("knowledge index file names no folder that exists here; following the file", "file", path, "folder", ix.source)
		if l.stamp, err = fileStamp(path); err != nil {
			return nil, fmt.Errorf("open knowledge index: %w", err)
		}
	} else {
		l.stamp, l.served = ix.stamp, ix.stamp // Run's first look rebuilds if the folder differs
	}
	l.cur.Store(ix)
	return l, nil
}

func newLive(dir, file string, opts LiveOptions) *Live {
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	l := &Live{dir: dir, file: file, opts: opts, log: opts.Logger}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.log = l.log.WithGroup("knowledge")
	if l.opts.Load.Warn == nil {
		l.opts.Load.Warn = func(path, problem string) { l.log.Warn("knowledge file looks wrong", "file", path, "problem", problem) }
	}
	return l
}

// Dir returns the knowledge folder followed, or "" when Live follows only
// an index file.
func (l *Live) Dir() string { return l.dir }

// Index returns the current index.
func (l *Live) Index() *Index { return l.cur.Load() }

// Search searches the current index.
func (l *Live) Search(ctx context.Context, query string, k int) ([]Snippet, error) {
	return l.cur.Load().Search(ctx, query, k)
}

// Retrieve searches the current index with context.
func (l *Live) Retrieve(ctx context.Context, q Query) (Result, error) {
	return l.cur.Load().Retrieve(ctx, q)
}

// Spell corrects text against the current index (see Index.Spell).
func (l *Live) Spell(text string) string { return l.cur.Load().Spell(text) }

// Language implements Linguist for the current index.
func (l *Live) Language() string { return l.cur.Load().Language() }

// Similarities implements Comparer with the current index.
func (l *Live) Similarities(question string, texts []string) []float64 {
	return l.cur.Load().Similarities(question, texts)
}

// Reload rebuilds the index from the folder (or rereads the index file,
// when Live follows only that) and swaps it in, whether or not anything
// changed; the authenticated reload route calls this. It returns the
// number of chunks indexed. On error the current index stays.
func (l *Live) Reload(ctx context.Context) (int, error) {
	_, n, err := l.refresh(ctx, true)
	return n, err
}

// Refresh rebuilds the index if the folder (or the followed index file)
// changed since the last build, and reports whether it did. A changed
// folder is rebuilt once it is unchanged since the Refresh before (Run
// calls Refresh every PollInterval), so that no file is read while it is
// being written.
func (l *Live) Refresh(ctx context.Context) (bool, error) {
	changed, _, err := l.refresh(ctx, false)
	return changed, err
}

// refresh rebuilds when forced or when the source's fingerprint changed.
func (l *Live) refresh(ctx context.Context, force bool) (changed bool, n int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() {
		// An unchanged source keeps its state: a broken folder is not
		// rebuilt at every look, and is still broken.
		switch {
		case changed:
			l.failing.Store(false)
		case err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
			l.failing.Store(true)
		}
	}()
	verb := "refresh knowledge"
	if force {
		verb = "reload knowledge"
	}
	if l.dir == "" && l.opts.FS == nil {
		return l.rereadFileLocked(ctx, verb, force)
	}
	fsys, done, err := l.open()
	if err != nil {
		return false, 0, fmt.Errorf("%s: %w", verb, err)
	}
	defer done()
	stamp, err := fingerprint(fsys, l.dir)
	if err != nil {
		return false, 0, fmt.Errorf("%s: %w", verb, err)
	}
	settling := l.looked && stamp != l.seen
	l.seen, l.looked = stamp, true
	if !force && stamp == l.stamp && l.cur.Load() != nil {
		if stamp == l.served {
			// Back to what the index was built from (a broken file
			// removed after a forced reload failed): nothing is failing.
			l.failing.Store(false)
		}
		return false, 0, nil
	}
	// A file still being written changes between looks: a changed folder
	// is rebuilt once it looks the same twice in a row (the first look,
	// at an index file perhaps older than its folder, at once). Read
	// half-written, an article's table cut at "£1" was quoted as a price
	// of £1.
	if !force && settling && l.cur.Load() != nil {
		return false, 0, nil
	}
	n, err = l.rebuildLocked(ctx, fsys, stamp)
	if err != nil {
		if !force {
			// Remember the broken state so it is not rebuilt (and
			// logged) every poll; the next change tries again.
			l.stamp = stamp
		}
		return false, 0, err
	}
	return true, n, nil
}

// rereadFileLocked swaps in the followed index file when it was replaced
// (or when forced). l.mu must be held.
func (l *Live) rereadFileLocked(ctx context.Context, verb string, force bool) (bool, int, error) {
	stamp, err := fileStamp(l.file)
	if err != nil {
		return false, 0, fmt.Errorf("%s: %w", verb, err)
	}
	if !force && stamp == l.stamp {
		return false, 0, nil
	}
	l.stamp = stamp // a broken file is not reread every poll
	ix, err := ReadIndex(l.file)
	if err != nil {
		return false, 0, fmt.Errorf("%s: %w", verb, err)
	}
	if err := ctx.Err(); err != nil {
		return false, 0, fmt.Errorf("%s: %w", verb, err)
	}
	l.cur.Store(ix)
	l.loaded.Store(time.Now().UnixNano())
	l.log.Info("knowledge index file reread", "file", l.file, "chunks", ix.Len())
	return true, ix.Len(), nil
}

// open returns the file system to read and a function that releases it.
func (l *Live) open() (fs.FS, func(), error) {
	if l.opts.FS != nil {
		return l.opts.FS, func() {}, nil
	}
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open knowledge folder: %w", err)
	}
	return root.FS(), func() { root.Close() }, nil
}

// rebuildLocked builds a new index from fsys and swaps it in, then saves
// it to the index file if Live keeps one. l.mu must be held.
func (l *Live) rebuildLocked(ctx context.Context, fsys fs.FS, stamp uint64) (int, error) {
	start := time.Now()
	chunks, err := LoadFS(ctx, fsys, l.opts.Load)
	if err != nil {
		return 0, fmt.Errorf("load knowledge: %w", err)
	}
	ix, err := Build(ctx, chunks, l.opts.Index)
	if err != nil {
		return 0, fmt.Errorf("index knowledge: %w", err)
	}
	if old := l.cur.Load(); ix.Len() == 0 && old != nil && old.Len() > 0 {
		l.log.Warn("knowledge folder has no articles; keeping the previous index", "dir", l.dir, "chunks", old.Len())
		return 0, fmt.Errorf("reload knowledge %s: %w (%d chunks)", l.dir, ErrEmptyKnowledge, old.Len())
	}
	if l.opts.FS == nil {
		ix.setSource(l.dir, stamp)
	}
	l.cur.Store(ix)
	l.stamp, l.served = stamp, stamp
	l.loaded.Store(time.Now().UnixNano())
	l.log.Info("knowledge indexed", "dir", l.dir, "chunks", ix.Len(), "took", time.Since(start).Round(time.Millisecond))
	if l.file != "" {
		// The swap stands even if the cache cannot be written: the
		// next start then rebuilds from the folder.
		if err := ix.Save(l.file); err != nil {
			l.log.Warn("knowledge index file not updated", "file", l.file, "err", err)
		}
	}
	return ix.Len(), nil
}

// Run looks at the folder (or followed index file) at once and then every
// PollInterval, refreshing the index, until ctx is done; it then returns
// nil. Failed refreshes are logged and the
// previous index kept. The caller owns the goroutine that runs it.
func (l *Live) Run(ctx context.Context) error {
	t := time.NewTicker(l.opts.PollInterval)
	defer t.Stop()
	last := "" // the error last logged: a missing folder was logged at every poll
	for {
		// The first look is at once: an index file may be older than
		// its folder.
		_, err := l.Refresh(ctx)
		switch {
		case err == nil:
			last = ""
		case errors.Is(err, context.Canceled), errors.Is(err, ErrEmptyKnowledge):
			// An empty folder was logged where it was found.
		case err.Error() != last:
			last = err.Error()
			l.log.Warn("knowledge not reloaded; keeping the previous index", append(l.where(), "err", err)...)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Status reports the number of chunks the current index holds, when it
// was loaded, and whether the last look at the folder (or index file)
// failed, the previous index kept: for metrics and alerts on stale
// knowledge.
func (l *Live) Status() (chunks int, loaded time.Time, failing bool) {
	if ix := l.cur.Load(); ix != nil {
		chunks = ix.Len()
	}
	return chunks, time.Unix(0, l.loaded.Load()), l.failing.Load()
}

// where names what l follows, for logs: the folder, the index file, or
// both.
func (l *Live) where() []any {
	var attrs []any
	if l.dir != "" {
		attrs = append(attrs, "dir", l.dir)
	}
	if l.file != "" {
		attrs = append(attrs, "file", l.file)
	}
	return attrs
}

// fileStamp fingerprints the file at path by identity, size and
// modification time, so a file replaced by rename is noticed.
func fileStamp(path string) (uint64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("stat index file: %w", err)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%d\x00%s", info.Size(), info.ModTime().UnixNano(), fileID(info))
	return h.Sum64(), nil
}

// fingerprint hashes the names, sizes, modification times and identities
// (fileID: an edit that kept the size and set the modification time back
// went unseen) of the loadable files of fsys, the folder dir (the same files Load reads),
// chunking and analysis, so that an index file written before the way
// articles are cut or analysed changed is rebuilt like one of a changed
// folder.
func fingerprint(fsys fs.FS, dir string) (uint64, error) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00", chunking, analysis)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || fileKind(p) == "" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00", p, info.Size(), info.ModTime().UnixNano(), fileID(info))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("scan %s: %w", dir, err)
	}
	return h.Sum64(), nil
}

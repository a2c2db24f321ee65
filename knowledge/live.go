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
// previous index had some (ErrEmptyKnowledge). Live is safe for concurrent use.
type Live struct {
	dir  string
	opts LiveOptions
	log  *slog.Logger
	cur  atomic.Pointer[Index]

	mu    sync.Mutex // serialises rebuilds
	stamp uint64     // folder fingerprint of the current index; guarded by mu
}

var _ Retriever = (*Live)(nil)

// OpenLive loads and indexes dir. Call Run to follow changes.
func OpenLive(ctx context.Context, dir string, opts LiveOptions) (*Live, error) {
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	l := &Live{dir: dir, opts: opts, log: opts.Logger}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.log = l.log.WithGroup("knowledge")
	if _, err := l.Reload(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

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

// Reload rebuilds the index from the folder and swaps it in, whether or
// not files changed (the authenticated reload route calls this). It
// returns the number of chunks indexed. On error the current index stays.
func (l *Live) Reload(ctx context.Context) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fsys, done, err := l.open()
	if err != nil {
		return 0, fmt.Errorf("reload knowledge: %w", err)
	}
	defer done()
	stamp, err := fingerprint(fsys, l.dir)
	if err != nil {
		return 0, fmt.Errorf("reload knowledge: %w", err)
	}
	return l.rebuildLocked(ctx, fsys, stamp)
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

// rebuildLocked builds a new index from fsys and swaps it in. l.mu must
// be held.
func (l *Live) rebuildLocked(ctx context.Context, fsys fs.FS, stamp uint64) (int, error) {
	start := time.Now()
	chunks, err := LoadFS(ctx, fsys, l.opts.Load)
	if err != nil {
		return 0, fmt.Errorf("reload knowledge: %w", err)
	}
	ix, err := Build(ctx, chunks, l.opts.Index)
	if err != nil {
		return 0, fmt.Errorf("reload knowledge: %w", err)
	}
	if old := l.cur.Load(); ix.Len() == 0 && old != nil && old.Len() > 0 {
		l.log.Warn("knowledge folder has no articles; keeping the previous index", "dir", l.dir, "chunks", old.Len())
		return 0, fmt.Errorf("reload knowledge %s: %w (%d chunks)", l.dir, ErrEmptyKnowledge, old.Len())
	}
	l.cur.Store(ix)
	l.stamp = stamp
	l.log.Info("knowledge indexed", "dir", l.dir, "chunks", ix.Len(), "took", time.Since(start).Round(time.Millisecond))
	return ix.Len(), nil
}

// Refresh rebuilds the index if the folder changed since the last build,
// and reports whether it did.
func (l *Live) Refresh(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fsys, done, err := l.open()
	if err != nil {
		return false, fmt.Errorf("refresh knowledge: %w", err)
	}
	defer done()
	stamp, err := fingerprint(fsys, l.dir)
	if err != nil {
		return false, fmt.Errorf("refresh knowledge: %w", err)
	}
	if stamp == l.stamp {
		return false, nil
	}
	if _, err := l.rebuildLocked(ctx, fsys, stamp); err != nil {
		// Remember the broken state so it is not rebuilt (and logged)
		// every poll; the next change to the folder tries again.
		l.stamp = stamp
		return false, err
	}
	return true, nil
}

// Run polls the folder every PollInterval and refreshes the index until
// ctx is done; it then returns nil. Failed refreshes are logged and the
// previous index kept. The caller owns the goroutine that runs it.
func (l *Live) Run(ctx context.Context) error {
	t := time.NewTicker(l.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_, err := l.Refresh(ctx)
			// An empty folder was logged where it was found.
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrEmptyKnowledge) {
				l.log.Warn("knowledge not reloaded; keeping the previous index", "dir", l.dir, "err", err)
			}
		}
	}
}

// fingerprint hashes the names, sizes and modification times of the
// loadable files of fsys, the folder dir (the same files Load reads).
func fingerprint(fsys fs.FS, dir string) (uint64, error) {
	h := fnv.New64a()
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
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("scan %s: %w", dir, err)
	}
	return h.Sum64(), nil
}

package bleveindex

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// The messages' and the conversations' indexes take batches into memory
// and persist them in the background (Bleve's "unsafe batch"): persisting
// and merging one small segment per write was the largest cost of a
// message. What makes a write durable before the caller is answered is the
// index's journal: every batch is appended to it and synced first. A
// journal file is deleted once Bleve has persisted everything written to
// it; on Open, what the journal still holds is written again, so a crash
// (or a close before Bleve persisted) loses nothing that was acknowledged.

// journalFileLimit is the size at which the journal starts a new file, so
// that files of persisted writes can be deleted.
const journalFileLimit = 1 << 20

const journalExt = ".journal"

// journalCRC is the checksum of each record.
var journalCRC = crc32.MakeTable(crc32.Castagnoli)

// journal is the write-ahead log of one Bleve index, used only by that
// index's writer goroutine (and by Open and Close).
type journal struct {
	dir   string
	epoch epochs

	file *os.File
	seq  uint64 // the current file's number
	size int64
	// lastEpoch is the index's root epoch after the last batch of the
	// current file was applied.
	lastEpoch uint64
	// sealed are the earlier files, oldest first, each deletable once the
	// index has persisted its lastEpoch.
	sealed []journalFile
}

type journalFile struct {
	path      string
	lastEpoch uint64
}

// epochs reads an index's snapshot epochs: the current one, and the last
// one written to disk.
type epochs interface {
	current() uint64
	persisted() uint64
}

// scorchEpochs reads the epochs of a Bleve index on scorch.
type scorchEpochs struct{ stats *scorch.Stats }

func (e scorchEpochs) current() uint64   { return atomic.LoadUint64(&e.stats.CurRootEpoch) }
func (e scorchEpochs) persisted() uint64 { return atomic.LoadUint64(&e.stats.LastPersistedEpoch) }

func epochsOf(idx bleve.Index) (epochs, error) {
	adv, err := idx.Advanced()
	if err != nil {
		return nil, fmt.Errorf("bleve: the index's internals: %w", err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil, fmt.Errorf("bleve: the index is %T, not scorch", adv)
	}
	stats, ok := s.Stats().(*scorch.Stats)
	if !ok {
		return nil, fmt.Errorf("bleve: scorch statistics are %T", s.Stats())
	}
	return scorchEpochs{stats: stats}, nil
}

// openJournal opens the journal in dir and returns the records it holds,
// in the order they were written, for the index to write again. Each file
// is read up to its first incomplete or damaged record: the end of a write
// a crash cut short, which was never acknowledged.
func openJournal(dir string, epoch epochs) (*journal, [][]byte, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("bleve: create the journal %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("bleve: read the journal %s: %w", dir, err)
	}
	j := &journal{dir: dir, epoch: epoch}
	var records [][]byte
	for _, e := range entries {
		var seq uint64
		if _, err := fmt.Sscanf(e.Name(), "%016d"+journalExt, &seq); err != nil || !strings.HasSuffix(e.Name(), journalExt) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		recs, err := readJournalFile(path)
		if err != nil {
			return nil, nil, err
		}
		records = append(records, recs...)
		j.sealed = append(j.sealed, journalFile{path: path})
		j.seq = max(j.seq, seq)
	}
	return j, records, nil // ReadDir sorts by name: oldest first
}

func readJournalFile(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bleve: open the journal file %s: %w", path, err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var out [][]byte
	var header [8]byte
	for {
		if _, err := io.ReadFull(r, header[:]); err != nil {
			return out, nil // the end, or a header a crash cut short
		}
		n, sum := binary.LittleEndian.Uint32(header[:4]), binary.LittleEndian.Uint32(header[4:])
		if n > journalFileLimit*16 {
			return out, nil // damaged
		}
		rec := make([]byte, n)
		if _, err := io.ReadFull(r, rec); err != nil || crc32.Checksum(rec, journalCRC) != sum {
			return out, nil
		}
		out = append(out, rec)
	}
}

// replayed marks the files read at open as written again: they are deleted
// once the index has persisted what it holds now.
func (j *journal) replayed() {
	at := j.epoch.current()
	for i := range j.sealed {
		j.sealed[i].lastEpoch = at
	}
	j.release()
}

// append writes records and syncs them to disk.
func (j *journal) append(records [][]byte) error {
	if j.file == nil {
		if err := j.start(); err != nil {
			return err
		}
	}
	var buf []byte
	for _, rec := range records {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(rec)))
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(rec, journalCRC))
		buf = append(buf, rec...)
	}
	_, err := j.file.Write(buf)
	if err == nil {
		err = j.file.Sync()
	}
	if err != nil {
		// What reached the file may end in a partial record; later
		// records go to a new file so that none follows it.
		j.seal()
		return fmt.Errorf("bleve: write the journal %s: %w", j.dir, err)
	}
	j.size += int64(len(buf))
	return nil
}

// applied notes that the records appended last are in the index, starts a
// new file when this one is full, and deletes the files whose every record
// the index has persisted.
func (j *journal) applied() {
	j.lastEpoch = j.epoch.current()
	if j.size >= journalFileLimit {
		j.seal()
	}
	j.release()
}

// start opens the next file, and syncs the directory so the file survives
// a crash.
func (j *journal) start() error {
	j.seq++
	path := filepath.Join(j.dir, fmt.Sprintf("%016d%s", j.seq, journalExt))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("bleve: start the journal file %s: %w", path, err)
	}
	if err := syncDir(j.dir); err != nil {
		_ = f.Close()
		return err
	}
	j.file, j.size, j.lastEpoch = f, 0, 0
	return nil
}

// seal closes the current file; it is deleted once persisted.
func (j *journal) seal() {
	if j.file == nil {
		return
	}
	_ = j.file.Close()
	j.sealed = append(j.sealed, journalFile{path: j.file.Name(), lastEpoch: j.lastEpoch})
	j.file = nil
}

// release deletes the oldest files while the index has persisted them.
func (j *journal) release() {
	persisted := j.epoch.persisted()
	for len(j.sealed) > 0 && j.sealed[0].lastEpoch <= persisted {
		if err := os.Remove(j.sealed[0].path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return // tried again after the next batch
		}
		j.sealed = j.sealed[1:]
	}
}

// awaitPersisted waits, up to limit, for the index to persist every batch
// applied so far.
func (j *journal) awaitPersisted(limit time.Duration) {
	target := j.epoch.current()
	for deadline := time.Now().Add(limit); j.epoch.persisted() < target && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// close closes the current file. When the index has persisted everything,
// the journal is emptied; otherwise the next Open writes it again.
func (j *journal) close() {
	j.seal()
	j.release()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("bleve: open %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("bleve: sync %s: %w", dir, err)
	}
	return nil
}

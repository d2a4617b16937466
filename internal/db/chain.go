package db

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"time"

	"github.com/ctitui/ctitui/internal/user"
)

// The audit log is a hash chain: every row stores prev_hash, the hash of the
// row before it ("" for the first), and hash, the SHA-256 of chainVersion,
// prev_hash and the row's stored columns, each written as its length, a
// colon, its bytes and a newline (NULL as length -1), so that no two rows
// encode alike. Changing a row changes its hash; deleting or inserting one
// breaks the next row's prev_hash. Anyone who can write the database can
// also recompute the chain, so it proves that no tool edited the log
// unnoticed, not that nobody did: note the head hash `ctitui audit verify`
// prints to anchor it outside the database.
//
// The hashing lives here, not in an engine, so that every engine writes and
// verifies the same chain: the same entry hashes alike in a SQLite file and
// in PostgreSQL.
const chainVersion = "ctitui-audit-chain-v1"

// AuditRow is an audit_log row as stored: the columns its hash covers, and
// the two hashes stored with it.
type AuditRow struct {
	ID int64
	// At is the entry's time as stored: user.FormatTime's text, which an
	// engine that keeps a timestamp type formats back the same way.
	At, Actor, Action string
	UserID            sql.NullString // NULL when the entry is about no user
	UserEmail         string
	Details           string
	// PrevHash and Hash are as stored; NULL on a row written outside
	// ctitui (or before migration 7 sealed the log).
	PrevHash, Hash sql.NullString
}

// ContentHash is the hash the chain stores for r written after the entry
// whose hash is prev. It covers every column but the two stored hashes.
func (r AuditRow) ContentHash(prev string) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) } //nolint:errcheck // a hash.Hash never fails a write
	field(chainVersion)
	field(prev)
	field(strconv.FormatInt(r.ID, 10))
	field(r.At)
	field(r.Actor)
	field(r.Action)
	nullField(h, r.UserID)
	field(r.UserEmail)
	field(r.Details)
	return hex.EncodeToString(h.Sum(nil))
}

func nullField(h hash.Hash, s sql.NullString) {
	if !s.Valid {
		fmt.Fprint(h, "-1:\n") //nolint:errcheck // a hash.Hash never fails a write
		return
	}
	fmt.Fprintf(h, "%d:%s\n", len(s.String), s.String) //nolint:errcheck // a hash.Hash never fails a write
}

// EntryRow is the row the chain stores for e with id after the entry
// whose hash is prev; its Hash is left for the caller to fill in with
// ContentHash(prev).
func EntryRow(id int64, prev string, e user.AuditEntry) AuditRow {
	return AuditRow{
		ID: id, At: user.FormatTime(e.At), Actor: e.Actor, Action: string(e.Action),
		UserEmail: e.UserEmail, Details: e.Details,
		UserID:   sql.NullString{String: e.UserID, Valid: e.UserID != ""},
		PrevHash: sql.NullString{String: prev, Valid: true},
	}
}

// AuditEntryHash is the hash the chain stores for e written as entry id
// after the entry whose hash is prev ("" for the first). Tools that write
// a ctitui database in bulk (cmd/benchdb) seal their entries with it, and
// then record the newest in the audit_head table.
func AuditEntryHash(prev string, id int64, e user.AuditEntry) string {
	return EntryRow(id, prev, e).ContentHash(prev)
}

// Once the chain is broken, every verify and doctor fails, rightly, for
// good: nothing ctitui writes can mend a log someone else changed. A person
// who has looked at the break (and kept the database as evidence) can
// restart the chain: ctitui appends one restart entry that records what
// verify found and the reason given, and begins a new segment. Its
// prev_hash is not the hash of the entry before it but the segment seal: a
// SHA-256 over every entry before it as stored, hashes included. Verify
// accepts the breaks before a restart only while that seal holds, so the
// old entries are kept exactly as they were found, never rewritten;
// changing, removing or adding one afterwards breaks the chain again, at
// the restart, and every break it recorded counts again. A restart is never
// made by itself, and verify and doctor name the newest one for as long as
// the log exists.

const segmentSealVersion = "ctitui-audit-segment-v1"

// SegmentSeal hashes audit rows, in id order, as stored.
type SegmentSeal struct{ h hash.Hash }

// NewSegmentSeal returns the seal of no rows.
func NewSegmentSeal() SegmentSeal {
	s := SegmentSeal{h: sha256.New()}
	fmt.Fprintf(s.h, "%d:%s\n", len(segmentSealVersion), segmentSealVersion) //nolint:errcheck // a hash.Hash never fails a write
	return s
}

// Add seals r, whose content hash (ContentHash over its stored prev_hash)
// is content: that covers every column but the two hashes as stored, which
// are added beside it.
func (s SegmentSeal) Add(r AuditRow, content string) {
	id := strconv.FormatInt(r.ID, 10)
	fmt.Fprintf(s.h, "%d:%s\n%d:%s\n", len(id), id, len(content), content) //nolint:errcheck // a hash.Hash never fails a write
	nullField(s.h, r.PrevHash)
	nullField(s.h, r.Hash)
}

// Sum is the seal of the rows added so far.
func (s SegmentSeal) Sum() string { return hex.EncodeToString(s.h.Sum(nil)) }

// ChainReport is the result of walking the audit chain.
type ChainReport struct {
	Rows     int    // rows checked
	HeadID   int64  // id of the newest row
	HeadHash string // its hash: note it down to anchor the chain
	// BrokenAt is the id of the first row that was changed, deleted
	// around, inserted or never sealed; 0 when the chain is whole. Breaks
	// before a restart that still holds are not counted: the restart
	// recorded them.
	BrokenAt int64
	Problem  string // what is wrong at BrokenAt
	Broken   int    // how many rows fail a check
	// EndProblem says how the log's end disagrees with what the database
	// recorded of it (the head record, the seal record): the newest
	// entries, or all of them, were removed; "" when they agree.
	EndProblem string
	// Restarts are the restart entries that still hold, oldest first: each
	// recorded a break a person looked at, and began a new segment.
	Restarts []ChainRestart
	// RestartEntries counts every restart entry in the log, those that no
	// longer hold too: someone who forges a restart over a changed log
	// cannot make the one before it disappear.
	RestartEntries int
}

// ChainRestart is a restart entry of the audit chain (see
// Store.RestartAuditChain).
type ChainRestart struct {
	ID      int64
	At      string // as stored
	Actor   string
	Details string // the reason, and what verify found when it was made
}

// OK reports whether the chain is whole.
func (r ChainReport) OK() bool { return r.BrokenAt == 0 && r.EndProblem == "" }

func (r ChainReport) String() string {
	var msg string
	switch {
	case r.OK() && r.Rows == 0:
		return "audit chain: empty"
	case r.OK():
		msg = fmt.Sprintf("audit chain: ok, %s, head %d:%s", plural(r.Rows, "entry", "entries"), r.HeadID, r.HeadHash)
	case r.BrokenAt == 0:
		return "audit chain: " + r.EndProblem
	default:
		verb := "fail"
		if r.Broken == 1 {
			verb = "fails"
		}
		msg = fmt.Sprintf("audit chain: broken at entry #%d: %s (%d of %s %s a check)", r.BrokenAt, r.Problem, r.Broken, plural(r.Rows, "entry", "entries"), verb)
		if r.EndProblem != "" {
			msg += "; " + r.EndProblem
		}
		return msg
	}
	if n := len(r.Restarts); n > 0 {
		last := r.Restarts[n-1]
		msg += fmt.Sprintf("; restarted at entry #%d by %s at %s after a break", last.ID, last.Actor, last.At)
		if r.RestartEntries > 1 {
			msg += fmt.Sprintf("; the log holds %d restart entries", r.RestartEntries)
		}
		msg += fmt.Sprintf(" (ctitui audit list --search %s)", user.ActionRestartChain)
	}
	return msg
}

// plural is "1 one" or "n many".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// RestartOptions are the inputs of Store.RestartAuditChain.
type RestartOptions struct {
	Actor  string    // who restarts it (recorded)
	Reason string    // why: an incident number, a ticket (recorded)
	Now    time.Time // the restart's time; time.Now when zero
}

// RestartResult says what Store.RestartAuditChain did.
type RestartResult struct {
	ID     int64       // the restart entry
	Hash   string      // its hash: the anchor of the new segment
	Found  ChainReport // what verify found before the restart
	Backup string      // the copy of the database as it was found
}

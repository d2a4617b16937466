package db

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"github.com/ctitui/ctitui/internal/user"
)

// ChainWalk verifies an audit log fed to it row by row, oldest first (in id
// order, as stored): each row must be sealed, follow the row before it (or,
// after a break, the last row that verified), and hash to what it stores; a
// restart entry must carry the seal of every row before it. Every engine
// walks its log with it, so that a chain verifies alike wherever it is
// stored, streaming: memory does not grow with the length of the log. What
// the log's end must agree with (the head record, the record that the log
// was sealed, an id counter) the engine checks afterwards, into
// ChainReport.EndProblem.
type ChainWalk struct {
	rep   ChainReport
	watch int64
	// prev is what the row before claims as its hash; lastGood is the hash
	// of the newest row that verified, which ctitui's next entry follows
	// when rows were written after it from outside (see the engines'
	// chain writers).
	prev, lastGood              string
	anyChained, brokenSinceGood bool
	seal                        SegmentSeal
	covered                     bool // every entry so far is committed to by the newest
	watched                     WatchedEntry
}

// WatchedEntry is an entry as a ChainWalk saw it.
type WatchedEntry struct {
	Found bool
	Hash  string
	// Covered reports that its hash commits to every entry before it: each
	// entry of its segment, from the log's first or a restart that holds,
	// verifies and names the one before it as its prev_hash.
	Covered bool
}

// NewChainWalk starts a walk of a log; with watch > 0 it also notes what it
// sees of the entry with that id (Watched), for CheckAnchor.
func NewChainWalk(watch int64) *ChainWalk {
	return &ChainWalk{watch: watch, seal: NewSegmentSeal(), covered: true}
}

// Add checks r, the row after every row added so far.
func (w *ChainWalk) Add(r AuditRow) {
	rep := &w.rep
	w.anyChained = w.anyChained || r.Hash.Valid || r.PrevHash.Valid
	rep.Rows++
	rep.HeadID, rep.HeadHash = r.ID, r.Hash.String
	content := r.ContentHash(r.PrevHash.String)
	restart := r.Action == string(user.ActionRestartChain)
	var problem string
	switch {
	case !r.Hash.Valid || !r.PrevHash.Valid:
		problem = "it is not sealed into the chain (written outside ctitui?)"
	case restart && r.PrevHash.String != w.seal.Sum():
		problem = "it restarts the chain, but the entries before it were changed, removed or added since"
	case !restart && r.PrevHash.String != w.prev && (!w.brokenSinceGood || r.PrevHash.String != w.lastGood):
		problem = "it does not follow the entry before it (an entry was deleted or inserted here)"
	case content != r.Hash.String:
		problem = "its content was changed after it was written"
	}
	if restart {
		rep.RestartEntries++
	}
	// A good entry names the one before it (or, after a break, the last
	// good one, in which case covered is already false).
	switch {
	case problem != "":
		w.covered = false
	case restart:
		w.covered = true // its seal commits to every entry before it
	}
	if r.ID == w.watch {
		w.watched = WatchedEntry{Found: true, Hash: r.Hash.String, Covered: w.covered}
	}
	switch {
	case problem != "":
		rep.Broken++
		w.brokenSinceGood = true
		if rep.BrokenAt == 0 {
			rep.BrokenAt, rep.Problem = r.ID, problem
		}
	case restart:
		// The breaks before it were recorded by a person, and the
		// entries as they were then are sealed into it.
		rep.BrokenAt, rep.Problem, rep.Broken = 0, "", 0
		rep.Restarts = append(rep.Restarts, ChainRestart{ID: r.ID, At: r.At, Actor: r.Actor, Details: r.Details})
		w.lastGood, w.brokenSinceGood = r.Hash.String, false
	default:
		w.lastGood, w.brokenSinceGood = r.Hash.String, false
	}
	// Walk on from what this row claims, so one bad row is reported
	// once rather than breaking every row after it.
	w.prev = r.Hash.String
	w.seal.Add(r, content)
}

// Report is what the walk found in the rows added so far; its EndProblem is
// the engine's to fill in.
func (w *ChainWalk) Report() ChainReport { return w.rep }

// Seal is the segment seal of every row added so far: the prev_hash a
// restart entry after them carries.
func (w *ChainWalk) Seal() string { return w.seal.Sum() }

// AnyChained reports whether any row added so far has a hash or a
// prev_hash: a log with none was never sealed, or had its hashes removed.
func (w *ChainWalk) AnyChained() bool { return w.anyChained }

// Watched is what the walk saw of the entry NewChainWalk was asked to watch.
func (w *ChainWalk) Watched() WatchedEntry { return w.watched }

// ParseAnchor reads an anchor noted from an earlier verify, "ID:HASH" as
// ChainReport.String prints the head; anything else is ErrBadAnchor.
func ParseAnchor(anchor string) (id int64, hash string, err error) {
	idText, hash, found := strings.Cut(anchor, ":")
	id, err = strconv.ParseInt(idText, 10, 64)
	if !found || err != nil || id < 1 || !isHash(hash) {
		return 0, "", fmt.Errorf("%w: %q, want ID:HASH as 'ctitui audit verify' prints it", ErrBadAnchor, anchor)
	}
	return id, hash, nil
}

// CheckAnchor judges an anchor, entry id with hash want, by what a walk of
// the whole log watching that entry saw of it: the entry must still exist
// with that hash, which a rewrite of the chain from that entry on would
// change, and every entry before it must still verify up to it, which a
// changed entry sealed under a later restart would not.
func CheckAnchor(id int64, want string, seen WatchedEntry) error {
	switch {
	case !seen.Found:
		return fmt.Errorf("audit chain: anchored entry #%d no longer exists: the log was rewritten", id)
	case seen.Hash != want:
		return fmt.Errorf("audit chain: entry #%d no longer has the anchored hash: the log was rewritten", id)
	case !seen.Covered:
		return fmt.Errorf("audit chain: entry #%d still has the anchored hash, but the entries before it no longer verify up to it: the log was rewritten", id)
	}
	return nil
}

// isHash reports whether s is a chain hash as verify prints it: 64 lower-case
// hex digits.
func isHash(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

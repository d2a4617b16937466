package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/ctitui/ctitui/internal/db"
	"github.com/ctitui/ctitui/internal/spoof"
	"github.com/ctitui/ctitui/internal/user"
)

// lookAlikeMember is one user of a group that looks alike.
type lookAlikeMember struct{ id, email, normalized string }

// checkLookAlikes reports users whose addresses a person could mistake for
// each other (the same user.EmailSkeleton, different normalised emails):
// ctitui refuses to add such a user, but a database from before it did, or
// one written by another tool, may hold them. It also reports users whose
// recorded skeleton is missing (written by another tool; harmless, as ctitui
// records it before it next adds a user) or wrong (edited outside ctitui: a
// look-alike of that user could be added), which --fix recomputes.
//
// Memory stays small at a million users: groups of the recorded skeletons
// are found by SQL over their index, and only the users whose skeleton is
// missing or wrong are held in Go.
//
// A quick look (not db.DoctorOptions.Full) trusts the recorded skeletons and
// computes only the missing ones: a skeleton edited to hide a look-alike is
// found by a full run, which recomputes every one.
func (s *Store) checkLookAlikes(ctx context.Context, opts db.DoctorOptions) ([]finding, error) {
	cols, err := tableColumns(ctx, s.db, "users")
	if err != nil {
		return nil, err
	}
	if !hasColumn(cols, "email_skeleton") {
		return nil, nil // reported by the schema check
	}
	odd, missing, wrong, err := s.unrecordedSkeletons(ctx, opts.Full)
	if err != nil {
		return nil, err
	}
	groups, err := s.lookAlikeGroups(ctx, odd)
	if err != nil {
		return nil, err
	}
	var out []finding
	if len(groups) > 0 {
		out = append(out, finding{Check: "look-alikes", Severity: user.SeverityProblem, Message: lookAlikeMessage(groups)})
	}
	if wrong > 0 {
		out = append(out, finding{Check: "look-alikes", Severity: user.SeverityProblem,
			Message: fmt.Sprintf("%s a look-alike skeleton that does not match their email (edited outside ctitui?): an address that looks like theirs could be added", plural(wrong, "user has", "users have")),
			Repair:  "recompute the look-alike skeleton of " + plural(wrong, "user", "users"),
			fix: func(ctx context.Context, tx *sql.Tx) error {
				// Cleared, then filled like any missing one, from the
				// emails as they are inside the repair transaction.
				for _, m := range odd {
					if _, err := tx.ExecContext(ctx, `UPDATE users SET email_skeleton = NULL WHERE id = ?`, m.id); err != nil {
						return err
					}
				}
				_, err := fillSkeletons(ctx, tx)
				return err
			}})
	}
	if missing > 0 {
		out = append(out, finding{Check: "look-alikes", Severity: user.SeverityInfo,
			Message: fmt.Sprintf("%s no look-alike skeleton recorded (written by another tool); ctitui records it before it next adds a user, and compares them meanwhile", plural(missing, "user has", "users have")),
			Repair:  "record the look-alike skeleton of " + plural(missing, "user", "users"),
			fix: func(ctx context.Context, tx *sql.Tx) error {
				_, err := fillSkeletons(ctx, tx)
				return err
			}})
	}
	if len(out) == 0 && !opts.Full {
		return okFinding("look-alikes", "no two users' recorded look-alike keys match (doctor --full recomputes them from the addresses)"), nil
	}
	if len(out) == 0 {
		return okFinding("look-alikes", "no two users' addresses look alike"), nil
	}
	return out, nil
}

// oddSkeleton is a user whose recorded skeleton is missing or wrong, with
// the skeleton it should have.
type oddSkeleton struct {
	lookAlikeMember
	want string
}

// unrecordedSkeletons lists the users whose recorded skeleton is missing or
// (when all) differs from what user.EmailSkeleton computes, and counts each
// kind. Without all it reads only the users with none, through the index.
func (s *Store) unrecordedSkeletons(ctx context.Context, all bool) (odd []oddSkeleton, missing, wrong int, err error) {
	query := `SELECT id, email, email_normalized, email_skeleton FROM users`
	if !all {
		query += ` WHERE email_skeleton IS NULL`
	}
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, 0, 0, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m oddSkeleton
		var recorded sql.NullString
		if err := rows.Scan(&m.id, &m.email, &m.normalized, &recorded); err != nil {
			return nil, 0, 0, translate(err)
		}
		m.want = user.EmailSkeleton(m.email)
		switch {
		case !recorded.Valid:
			missing++
		case recorded.String != m.want:
			wrong++
		default:
			continue
		}
		odd = append(odd, m)
	}
	return odd, missing, wrong, translate(rows.Err())
}

// lookAlikeGroups returns the groups of users that look alike, by skeleton,
// each with more than one normalised email: groups of recorded skeletons,
// with the odd users (whose recorded skeleton is not to be trusted) placed by
// the skeleton they should have.
func (s *Store) lookAlikeGroups(ctx context.Context, odd []oddSkeleton) (map[string][]lookAlikeMember, error) {
	isOdd := make(map[string]bool, len(odd))
	for _, m := range odd {
		isOdd[m.id] = true
	}
	rows, err := s.db.QueryContext(ctx, `SELECT email_skeleton FROM users WHERE email_skeleton IS NOT NULL GROUP BY email_skeleton HAVING count(*) > 1`)
	if err != nil {
		return nil, translate(err)
	}
	skeletons, err := scanStrings(rows)
	if err != nil {
		return nil, err
	}
	for _, m := range odd {
		if !slices.Contains(skeletons, m.want) {
			skeletons = append(skeletons, m.want)
		}
	}
	groups := map[string][]lookAlikeMember{}
	for _, sk := range skeletons {
		members, err := s.skeletonMembers(ctx, sk, isOdd)
		if err != nil {
			return nil, err
		}
		for _, m := range odd {
			if m.want == sk {
				members = append(members, m.lookAlikeMember)
			}
		}
		distinct := map[string]bool{}
		for _, m := range members {
			distinct[m.normalized] = true
		}
		if len(distinct) > 1 {
			groups[sk] = members
		}
	}
	return groups, nil
}

// skeletonMembers lists the users whose recorded skeleton is sk, but for
// those in odd.
func (s *Store) skeletonMembers(ctx context.Context, sk string, odd map[string]bool) ([]lookAlikeMember, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, email, email_normalized FROM users WHERE email_skeleton = ? ORDER BY email_normalized, id`, sk)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var members []lookAlikeMember
	for rows.Next() {
		var m lookAlikeMember
		if err := rows.Scan(&m.id, &m.email, &m.normalized); err != nil {
			return nil, translate(err)
		}
		if !odd[m.id] {
			members = append(members, m)
		}
	}
	return members, translate(rows.Err())
}

// lookAlikeMessage describes up to five groups of look-alikes, each by its
// addresses, ids and the characters that tell them apart.
func lookAlikeMessage(groups map[string][]lookAlikeMember) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d groups of users have addresses a person could mistake for each other: ", len(groups))
	for i, sk := range sortedKeys(groups) {
		if i == 5 {
			b.WriteString("; …")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		members := groups[sk]
		for j, m := range members {
			if j == 4 {
				fmt.Fprintf(&b, " and %d more", len(members)-4)
				break
			}
			if j > 0 {
				b.WriteString(" and ")
			}
			// The id as a shell word: the message suggests a command to
			// paste, and an id is whatever a row's writer chose.
			fmt.Fprintf(&b, "%q (id %s", m.email, shellQuote(m.id))
			if j > 0 {
				if diff := spoof.Differences(m.email, members[0].email, 3); len(diff) > 0 {
					b.WriteString("; differs in " + strings.Join(diff, ", "))
				}
			}
			b.WriteString(")")
		}
	}
	b.WriteString(". Rename or delete all but one of each ('ctitui user delete ID'); doctor changes no address itself")
	return b.String()
}

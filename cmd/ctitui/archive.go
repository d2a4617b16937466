package main

import "strings"

// What git archive writes into this file, which .gitattributes marks
// export-subst: a source archive (scripts/release.sh makes one with git
// archive, and so do code hosts) builds, with a plain go build and no
// version control, a binary that still names its commit and date, and the
// tag when the commit has one. In a checkout the placeholders stay as they
// are and say nothing (archiveStamp ignores them); go build takes the
// commit from the build info there instead.
const (
	archiveDescribe   = "$Format:%(describe:tags)$"
	archiveCommit     = "$Format:%H$"
	archiveCommitDate = "$Format:%cI$"
)

// archiveStamp returns what git archive filled in, or empty values in a
// checkout.
func archiveStamp() stamp {
	return parseArchiveStamp(archiveDescribe, archiveCommit, archiveCommitDate)
}

// parseArchiveStamp keeps the values git archive substituted: a placeholder
// left as it is (a checkout, or a git too old to know one) is dropped.
func parseArchiveStamp(describe, commit, date string) stamp {
	kept := func(s string) string {
		if strings.Contains(s, "$Format:") {
			return ""
		}
		return strings.TrimSpace(s)
	}
	return stamp{Version: kept(describe), Commit: kept(commit), CommitDate: kept(date)}
}

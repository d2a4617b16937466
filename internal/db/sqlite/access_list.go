package sqlite

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ctitui/ctitui/internal/user"
)

// Windows decides who may open a file by its access list (its DACL), not by
// the mode bits Go reports there: 0666 for every file that is not read-only,
// 0444 for the rest, whoever may read it. Doctor reads the lists on Windows
// (permissions_windows.go); judging them is here, free of any platform, so
// that it is tested everywhere.

// Entry types and flags of an access list (winnt.h).
const (
	aceAllowed = 0 // ACCESS_ALLOWED_ACE_TYPE
	aceDenied  = 1 // ACCESS_DENIED_ACE_TYPE

	aceObjectInherit = 0x01 // OBJECT_INHERIT_ACE: files created in the folder get the entry
	aceInheritOnly   = 0x08 // INHERIT_ONLY_ACE: for what the folder will hold, not for the folder
)

// Access rights (winnt.h). The generic rights are mapped to a file's
// specific ones before anything is judged, as Windows maps them.
const (
	rightFileReadData  = 0x00000001 // FILE_READ_DATA; FILE_LIST_DIRECTORY for a folder
	rightFileWriteData = 0x00000002 // FILE_WRITE_DATA; FILE_ADD_FILE
	rightFileAppend    = 0x00000004 // FILE_APPEND_DATA; FILE_ADD_SUBDIRECTORY
	rightDeleteChild   = 0x00000040 // FILE_DELETE_CHILD
	rightDelete        = 0x00010000 // DELETE
	rightWriteDAC      = 0x00040000 // WRITE_DAC: may give itself any other right
	rightWriteOwner    = 0x00080000 // WRITE_OWNER: likewise

	genericAll     = 0x10000000
	genericExecute = 0x20000000
	genericWrite   = 0x40000000
	genericRead    = 0x80000000

	fileGenericRead    = 0x00120089
	fileGenericWrite   = 0x00120116
	fileGenericExecute = 0x001200a0
	fileAllAccess      = 0x001f01ff
)

// rightsRead and rightsWrite are what reading a file (listing a folder) and
// changing, replacing or deleting it (adding files to a folder, deleting
// them) take.
const (
	rightsRead  = rightFileReadData
	rightsWrite = rightFileWriteData | rightFileAppend | rightDeleteChild | rightDelete | rightWriteDAC | rightWriteOwner
)

// mapGeneric replaces the generic rights in mask by a file's specific ones.
func mapGeneric(mask uint32) uint32 {
	for _, m := range []struct{ generic, specific uint32 }{
		{genericRead, fileGenericRead}, {genericWrite, fileGenericWrite},
		{genericExecute, fileGenericExecute}, {genericAll, fileAllAccess},
	} {
		if mask&m.generic != 0 {
			mask = mask&^m.generic | m.specific
		}
	}
	return mask
}

// Security identifiers doctor knows by heart.
const (
	sidEveryone       = "S-1-1-0"
	sidCreatorOwner   = "S-1-3-0" // in a folder's inheritable entries: whoever creates the file
	sidOwnerRights    = "S-1-3-4"
	sidSystem         = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
)

// wellKnownNames names the groups of many people that access lists grant
// most often; Windows names the rest (LookupAccountSid).
var wellKnownNames = map[string]string{
	sidEveryone:    "Everyone",
	"S-1-5-2":      "NETWORK",
	"S-1-5-4":      "INTERACTIVE",
	"S-1-5-7":      "ANONYMOUS LOGON",
	"S-1-5-11":     "Authenticated Users",
	"S-1-5-32-545": "Users",
	"S-1-5-32-546": "Guests",
}

// accessEntry is one entry of an access list.
type accessEntry struct {
	kind  uint8 // aceAllowed or aceDenied; entries of other kinds are not read
	flags uint8
	mask  uint32
	sid   string // as "S-1-5-32-545"
}

// accessList is an object's access list. A null one (no list at all) lets
// everyone do everything.
type accessList struct {
	null    bool
	entries []accessEntry
}

// grant is what the access list lets one account or group do.
type grant struct {
	sid         string
	read, write bool
}

// alwaysTrusted may open every file whatever its list says (SYSTEM,
// Administrators), or stand for the file's owner (CREATOR OWNER, OWNER
// RIGHTS), as root and a Unix file's owner do.
func alwaysTrusted(sid string) bool {
	switch sid {
	case sidSystem, sidAdministrators, sidCreatorOwner, sidOwnerRights:
		return true
	}
	return false
}

// others returns whom, besides the trusted (the file's owner, the user
// running ctitui) and alwaysTrusted, the list lets read or change the object
// itself, or, when inherited is set, the files created in it (a folder's
// entries that files inherit), in the order of their first entry.
//
// Each is judged as a member of itself and Everyone, walking the entries in
// order as Windows does: an entry denies what no earlier one granted, and
// grants what no earlier one denied. Someone in several listed groups can
// have more than any one of them shows; each group is reported on its own.
func (l accessList) others(trusted func(sid string) bool, inherited bool) []grant {
	if l.null {
		if inherited {
			// Files created in a folder without a list get their creator's
			// default one: private.
			return nil
		}
		return []grant{{sid: sidEveryone, read: true, write: true}}
	}
	applies := func(e accessEntry) bool {
		if inherited {
			return e.flags&aceObjectInherit != 0
		}
		return e.flags&aceInheritOnly == 0
	}
	var out []grant
	seen := map[string]bool{}
	for _, e := range l.entries {
		if e.kind != aceAllowed || !applies(e) || seen[e.sid] || alwaysTrusted(e.sid) || trusted(e.sid) {
			continue
		}
		seen[e.sid] = true
		var granted, denied uint32
		for _, f := range l.entries {
			if !applies(f) || (f.sid != e.sid && f.sid != sidEveryone) {
				continue
			}
			switch mask := mapGeneric(f.mask); f.kind {
			case aceAllowed:
				granted |= mask &^ denied
			case aceDenied:
				denied |= mask &^ granted
			}
		}
		if g := (grant{sid: e.sid, read: granted&rightsRead != 0, write: granted&rightsWrite != 0}); g.read || g.write {
			out = append(out, g)
		}
	}
	return out
}

// describeGrants says in words what grants allow, naming each account or
// group with name: "Users may read, Authenticated Users may read and change".
// For a folder, read is listing it and change is adding and deleting files.
func describeGrants(grants []grant, name func(sid string) string) string {
	parts := make([]string, len(grants))
	for i, g := range grants {
		var what string
		switch {
		case g.read && g.write:
			what = "read and change"
		case g.read:
			what = "read"
		default:
			what = "change"
		}
		parts[i] = fmt.Sprintf("%s may %s", name(g.sid), what)
	}
	return strings.Join(parts, ", ")
}

// aclSystem is what the access-list check asks the system; on Windows
// permissions_windows.go answers, tests answer anything.
type aclSystem struct {
	// keepsACLs reports whether the file system holding dir keeps access
	// lists (FAT32 and exFAT do not), and its name.
	keepsACLs func(dir string) (bool, string, error)
	// me is the user running ctitui.
	me func() (string, error)
	// read returns the access list of name, following a link, and its owner.
	read func(name string) (list accessList, owner string, err error)
	// name names an account or group.
	name func(sid string) string
	// makePrivate gives name a protected access list of its own: its owner,
	// the user running ctitui, SYSTEM and Administrators, for a folder
	// inherited by the files created in it. It changes no link.
	makePrivate func(name string, folder bool) error
}

// checkAccessLists is doctor's permission check where access lists, not
// modes, say who may open a file: the database, its -wal, -shm and lock
// files, its backups and its folder may let in no one but their owner, the
// user running ctitui, SYSTEM and Administrators. It is the counterpart of
// the mode check (0600 files, a 0700 folder of ctitui's own), and repairs
// the same way: a file gets a list of its own; ctitui's own folder too, one
// that files created in it inherit; another folder is only described.
func checkAccessLists(path string, sys aclSystem) []finding {
	const check = "permissions"
	info := func(format string, args ...any) []finding {
		return []finding{{Check: check, Severity: user.SeverityInfo, Message: fmt.Sprintf(format, args...)}}
	}
	dir := filepath.Dir(path)
	keeps, fsName, err := sys.keepsACLs(dir)
	if err != nil {
		return info("who may open the database was not checked: the file system of %s could not be asked whether it keeps access lists (%v)", dir, err)
	}
	if !keeps {
		return info("who may open the database was not checked: its file system (%s) keeps no access lists, so anyone who can reach the drive can read and change it; keep it on an NTFS drive", fsName)
	}
	me, err := sys.me()
	if err != nil {
		return info("who may open the database was not checked: the user running ctitui could not be told (%v)", err)
	}
	trust := func(owner string) func(string) bool {
		return func(sid string) bool { return sid == me || (owner != "" && sid == owner) }
	}
	var out []finding
	for _, name := range append([]string{path, path + "-wal", path + "-shm", path + ".lock"}, filesBeside(path, ".", ".bak")...) {
		fi, err := os.Lstat(name)
		link := err == nil && fi.Mode()&fs.ModeSymlink != 0
		switch {
		case err != nil:
			continue
		case link && name != path:
			out = append(out, finding{Check: check, Severity: user.SeverityProblem,
				Message: fmt.Sprintf("%s is a symbolic link, which ctitui never makes: remove it (doctor does not follow it)", name)})
			continue
		case !link && !fi.Mode().IsRegular():
			continue
		}
		list, owner, err := sys.read(name)
		if err != nil {
			out = append(out, info("who may open %s was not checked: its access list could not be read (%v)", name, err)...)
			continue
		}
		grants := list.others(trust(owner), false)
		switch {
		case len(grants) == 0:
		case link:
			// The database may be a link a person made: judge the file it
			// reaches, but never change it through the link.
			out = append(out, finding{Check: check, Severity: user.SeverityProblem,
				Message: fmt.Sprintf("the file %s links to lets others in (%s): give it an access list of its own", name, describeGrants(grants, sys.name))})
		default:
			out = append(out, finding{Check: check, Severity: user.SeverityProblem,
				Message: fmt.Sprintf("%s lets others in: %s", name, describeGrants(grants, sys.name)),
				Repair:  fmt.Sprintf("give %s an access list of its own: its owner, you, SYSTEM and Administrators", name),
				fs:      func() error { return sys.makePrivate(name, false) }})
		}
	}
	if fi, err := os.Lstat(dir); err == nil && fi.IsDir() {
		out = append(out, folderAccess(dir, sys, trust)...)
	}
	if len(out) == 0 {
		return okFinding(check, "the database, the files beside it and its folder let in only their owner, SYSTEM and Administrators")
	}
	return out
}

// folderAccess judges the access list of the database's folder: who may
// list it or add and delete files in it, and what the files created in it
// (the -wal, -shm and backups ctitui makes) let others do.
func folderAccess(dir string, sys aclSystem, trust func(owner string) func(string) bool) []finding {
	list, owner, err := sys.read(dir)
	if err != nil {
		return []finding{{Check: "permissions", Severity: user.SeverityInfo,
			Message: fmt.Sprintf("who may open the folder %s was not checked: its access list could not be read (%v)", dir, err)}}
	}
	itself, files := list.others(trust(owner), false), list.others(trust(owner), true)
	var parts []string
	if len(itself) > 0 {
		parts = append(parts, "on the folder, "+describeGrants(itself, sys.name)+" (read: list its files; change: add or delete them)")
	}
	if len(files) > 0 {
		parts = append(parts, "on the files created in it, as ctitui's -wal, -shm and backups are, "+describeGrants(files, sys.name))
	}
	if len(parts) == 0 {
		return nil
	}
	msg := fmt.Sprintf("the folder %s lets others in: %s", dir, strings.Join(parts, "; "))
	if filepath.Base(dir) != "ctitui" {
		// A shared folder, a project folder: not ctitui's to change, as
		// on Unix. Its own folder (%LocalAppData%\ctitui) it tightens.
		return []finding{{Check: "permissions", Severity: user.SeverityInfo,
			Message: msg + `; doctor leaves a folder that is not ctitui's own as it is: a private one, such as %LocalAppData%\ctitui, keeps new files private`}}
	}
	return []finding{{Check: "permissions", Severity: user.SeverityProblem, Message: msg,
		Repair: fmt.Sprintf("give the folder %s an access list of its own, which the files created in it inherit: its owner, you, SYSTEM and Administrators", dir),
		fs:     func() error { return sys.makePrivate(dir, true) }}}
}

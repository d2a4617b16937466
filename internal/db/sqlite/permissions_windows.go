package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/ctitui/ctitui/internal/db"
)

// checkPermissions reads the access lists that decide, on Windows, who may
// open the database and the files beside it (checkAccessLists): the modes
// Go reports there (0666 for every writable file) say nothing about it.
func (s *Store) checkPermissions(context.Context, db.DoctorOptions) ([]finding, error) {
	return checkAccessLists(s.path, windowsACLs), nil
}

// windowsACLs answers checkAccessLists from Windows.
var windowsACLs = aclSystem{
	keepsACLs:   keepsACLs,
	me:          currentUserSID,
	read:        readAccessList,
	name:        accountName,
	makePrivate: makePrivate,
}

// keepsACLs reports whether the volume holding dir keeps access lists
// (NTFS, ReFS, a share of one) and its file system's name.
func keepsACLs(dir string) (bool, string, error) {
	h, err := openNoFollow(dir, 0)
	if err != nil {
		return false, "", err
	}
	defer windows.CloseHandle(h) //nolint:errcheck // opened only to ask about its volume
	var flags uint32
	fsName := make([]uint16, windows.MAX_PATH+1)
	if err := windows.GetVolumeInformationByHandle(h, nil, 0, nil, nil, &flags, &fsName[0], uint32(len(fsName))); err != nil {
		return false, "", err
	}
	return flags&windows.FILE_PERSISTENT_ACLS != 0, windows.UTF16ToString(fsName), nil
}

// currentUserSID is the account this process runs as.
func currentUserSID() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", err
	}
	return u.User.Sid.String(), nil
}

// readAccessList returns the access list of name, following a link, and
// its owner.
func readAccessList(name string) (accessList, string, error) {
	sd, err := windows.GetNamedSecurityInfo(name, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return accessList{}, "", err
	}
	if sd == nil {
		// No security descriptor at all: nothing keeps anyone out.
		return accessList{null: true}, "", nil
	}
	var owner string
	if sid, _, err := sd.Owner(); err == nil && sid != nil {
		owner = sid.String()
	}
	dacl, _, err := sd.DACL()
	switch {
	case errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) || (err == nil && dacl == nil):
		// No list, or an empty one marked present: both let everyone in.
		return accessList{null: true}, owner, nil
	case err != nil:
		return accessList{}, "", err
	}
	var list accessList
	for i := range dacl.AceCount {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, uint32(i), &ace); err != nil {
			return accessList{}, "", err
		}
		e := accessEntry{kind: ace.Header.AceType, flags: ace.Header.AceFlags, mask: uint32(ace.Mask)}
		if e.kind == aceAllowed || e.kind == aceDenied {
			// Both entry types end in the SID, which starts at SidStart.
			e.sid = (*windows.SID)(unsafe.Pointer(&ace.SidStart)).String() //nolint:gosec // G103: the documented layout of ACCESS_ALLOWED_ACE and ACCESS_DENIED_ACE
		}
		list.entries = append(list.entries, e)
	}
	return list, owner, nil
}

// accountName names sid as people see it in Windows ("Users",
// `PC\ben`), or gives the SID itself when Windows cannot name it.
func accountName(sid string) string {
	if n, ok := wellKnownNames[sid]; ok {
		return n
	}
	s, err := windows.StringToSid(sid)
	if err != nil {
		return sid
	}
	account, domain, _, err := s.LookupAccount("")
	switch {
	case err != nil || account == "":
		return sid
	case domain == "":
		return account
	}
	return domain + `\` + account
}

// makePrivate gives name a protected access list of its own, full control
// for its owner, the user running ctitui, SYSTEM and Administrators, and
// nobody else; a folder's is inherited by the files and folders created in
// it. It works on a handle opened without following a link, so that a link
// swapped in after the look is refused, not followed.
func makePrivate(name string, folder bool) error {
	h, err := openNoFollow(name, windows.READ_CONTROL|windows.WRITE_DAC)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h) //nolint:errcheck // opened only to change its access list, whose error is returned
	var fi windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &fi); err != nil {
		return err
	}
	if fi.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		return fmt.Errorf("%s is a link or another reparse point: doctor does not change it", name)
	}
	sd, err := windows.GetSecurityInfo(h, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return err
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return err
	}
	me, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return err
	}
	system, err := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	if err != nil {
		return err
	}
	admins, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		return err
	}
	inheritance := uint32(windows.NO_INHERITANCE)
	if folder {
		inheritance = windows.SUB_CONTAINERS_AND_OBJECTS_INHERIT
	}
	var entries []windows.EXPLICIT_ACCESS
	var granted []*windows.SID
	for _, sid := range []*windows.SID{owner, me.User.Sid, system, admins} {
		if sid == nil || slices.ContainsFunc(granted, sid.Equals) {
			continue
		}
		granted = append(granted, sid)
		entries = append(entries, windows.EXPLICIT_ACCESS{
			AccessPermissions: fileAllAccess,
			AccessMode:        windows.GRANT_ACCESS,
			Inheritance:       inheritance,
			Trustee: windows.TRUSTEE{
				TrusteeForm:  windows.TRUSTEE_IS_SID,
				TrusteeType:  windows.TRUSTEE_IS_UNKNOWN,
				TrusteeValue: windows.TrusteeValueFromSID(sid),
			},
		})
	}
	acl, err := windows.ACLFromEntries(entries, nil)
	if err != nil {
		return err
	}
	// PROTECTED: the folder's entries no longer flow into it.
	return windows.SetSecurityInfo(h, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
}

// openNoFollow opens name, a file or a folder, for access without following
// a link, sharing it with every other opener (SQLite has the database open).
func openNoFollow(name string, access uint32) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return windows.InvalidHandle, err
	}
	h, err := windows.CreateFile(p, access,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil, windows.OPEN_EXISTING,
		windows.FILE_FLAG_OPEN_REPARSE_POINT|windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return windows.InvalidHandle, fmt.Errorf("open %s: %w", name, err)
	}
	return h, nil
}

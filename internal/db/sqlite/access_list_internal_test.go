package sqlite

import (
	"slices"
	"testing"
)

// The access lists below are the ones Windows gives by default, as icacls
// shows them, and a few built to test one rule each.
const (
	sidAna     = "S-1-5-21-1004336348-1177238915-682003330-1001" // the user running ctitui, the files' owner
	sidBen     = "S-1-5-21-1004336348-1177238915-682003330-1002" // another user of the machine
	sidUsers   = "S-1-5-32-545"
	sidAuthUsr = "S-1-5-11"

	inherited = 0x10 // INHERITED_ACE: only says where an entry came from

	fullControl = fileAllAccess // (F)
	modify      = 0x001301bf    // (M)
	readExecute = 0x001200a9    // (RX)
)

func TestAccessListOthers(t *testing.T) {
	ana := func(sid string) bool { return sid == sidAna }
	for _, tc := range []struct {
		name      string
		list      accessList
		inherited bool // judge what files created in the folder get
		want      []grant
	}{
		{
			// %LocalAppData%\ctitui\ctitui.db, inheriting the profile's list.
			name: "a file in the user's profile",
			list: accessList{entries: []accessEntry{
				{aceAllowed, inherited, fullControl, sidSystem},
				{aceAllowed, inherited, fullControl, sidAdministrators},
				{aceAllowed, inherited, fullControl, sidAna},
			}},
		},
		{
			// C:\data\ctitui.db, inheriting the list of C:\.
			name: "a file in a folder at the root of C:",
			list: accessList{entries: []accessEntry{
				{aceAllowed, inherited, fullControl, sidAdministrators},
				{aceAllowed, inherited, fullControl, sidSystem},
				{aceAllowed, inherited, readExecute, sidUsers},
				{aceAllowed, inherited, modify, sidAuthUsr},
			}},
			want: []grant{{sidUsers, true, false}, {sidAuthUsr, true, true}},
		},
		{
			// C:\ itself: Authenticated Users' modify right is for what it
			// will hold (inherit only), Users may list it.
			name: "the root of C:, itself",
			list: accessList{entries: []accessEntry{
				{aceAllowed, aceObjectInherit | 0x02, fullControl, sidAdministrators},
				{aceAllowed, aceObjectInherit | 0x02, fullControl, sidSystem},
				{aceAllowed, aceObjectInherit | 0x02, readExecute, sidUsers},
				{aceAllowed, 0, 0x4, sidAuthUsr}, // create folders
				{aceAllowed, aceObjectInherit | 0x02 | aceInheritOnly, genericWrite | genericRead | genericExecute | rightDelete, sidAuthUsr},
			}},
			want: []grant{{sidUsers, true, false}, {sidAuthUsr, false, true}},
		},
		{
			name:      "the root of C:, for the files created in it",
			inherited: true,
			list: accessList{entries: []accessEntry{
				{aceAllowed, aceObjectInherit | 0x02, fullControl, sidAdministrators},
				{aceAllowed, aceObjectInherit | 0x02, readExecute, sidUsers},
				{aceAllowed, 0, 0x4, sidAuthUsr},                         // for C:\ itself only
				{aceAllowed, 0x02 | aceInheritOnly, fullControl, sidBen}, // for folders only
				{aceAllowed, aceObjectInherit | 0x02 | aceInheritOnly, genericWrite | genericRead | genericExecute | rightDelete, sidAuthUsr},
				{aceAllowed, aceObjectInherit | aceInheritOnly, genericAll, sidCreatorOwner},
			}},
			want: []grant{{sidUsers, true, false}, {sidAuthUsr, true, true}},
		},
		{
			name: "no list lets everyone in",
			list: accessList{null: true},
			want: []grant{{sidEveryone, true, true}},
		},
		{
			name:      "no list on a folder: its files get their creator's default list",
			list:      accessList{null: true},
			inherited: true,
		},
		{
			name: "another user named in the list",
			list: accessList{entries: []accessEntry{
				{aceAllowed, 0, fullControl, sidAna},
				{aceAllowed, 0, fileGenericRead, sidBen},
			}},
			want: []grant{{sidBen, true, false}},
		},
		{
			name: "a denial of Everyone before a grant wins",
			list: accessList{entries: []accessEntry{
				{aceDenied, 0, rightFileReadData, sidEveryone},
				{aceAllowed, 0, genericRead, sidUsers},
			}},
		},
		{
			name: "a denial of the same group before a grant wins, for what it denies",
			list: accessList{entries: []accessEntry{
				{aceDenied, 0, rightsWrite, sidUsers},
				{aceAllowed, 0, genericAll, sidUsers},
			}},
			want: []grant{{sidUsers, true, false}},
		},
		{
			name: "a denial after the grant comes too late",
			list: accessList{entries: []accessEntry{
				{aceAllowed, 0, genericRead, sidUsers},
				{aceDenied, 0, rightFileReadData, sidEveryone},
			}},
			want: []grant{{sidUsers, true, false}},
		},
		{
			name: "a denial of another group changes nothing",
			list: accessList{entries: []accessEntry{
				{aceDenied, 0, rightFileReadData, sidAuthUsr},
				{aceAllowed, 0, genericRead, sidUsers},
			}},
			want: []grant{{sidUsers, true, false}},
		},
		{
			name: "execute, attributes and reading the list are not reading the data",
			list: accessList{entries: []accessEntry{
				{aceAllowed, 0, genericExecute, sidUsers},
				{aceAllowed, 0, 0x00020000 | 0x80 | 0x100000, sidBen}, // READ_CONTROL, FILE_READ_ATTRIBUTES, SYNCHRONIZE
			}},
		},
		{
			name: "changing the list is changing the file",
			list: accessList{entries: []accessEntry{{aceAllowed, 0, rightWriteDAC, sidBen}}},
			want: []grant{{sidBen, false, true}},
		},
		{
			name: "deleting it is changing it",
			list: accessList{entries: []accessEntry{{aceAllowed, 0, rightDelete, sidBen}}},
			want: []grant{{sidBen, false, true}},
		},
		{
			name: "SYSTEM, Administrators and the owner's stand-ins are trusted",
			list: accessList{entries: []accessEntry{
				{aceAllowed, 0, fullControl, sidSystem},
				{aceAllowed, 0, fullControl, sidAdministrators},
				{aceAllowed, 0, fullControl, sidOwnerRights},
				{aceAllowed, 0, fullControl, sidCreatorOwner},
			}},
		},
		{
			name: "entries of other kinds (object, callback, audit) are not read",
			list: accessList{entries: []accessEntry{{5, 0, fullControl, sidBen}, {2, 0, fullControl, sidUsers}}},
		},
		{
			name: "one named only in a denial is not reported as well as Everyone",
			list: accessList{entries: []accessEntry{
				{aceDenied, 0, rightsWrite, sidBen},
				{aceAllowed, 0, genericRead, sidEveryone},
			}},
			want: []grant{{sidEveryone, true, false}},
		},
		{
			name: "a group listed twice is reported once, with all it gets",
			list: accessList{entries: []accessEntry{
				{aceAllowed, 0, rightFileReadData, sidUsers},
				{aceAllowed, 0, rightFileWriteData, sidUsers},
			}},
			want: []grant{{sidUsers, true, true}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.list.others(ana, tc.inherited); !slices.Equal(got, tc.want) {
				t.Errorf("others(inherited %v) = %+v; want %+v", tc.inherited, got, tc.want)
			}
		})
	}
}

func TestDescribeGrants(t *testing.T) {
	name := func(sid string) string {
		if n, ok := wellKnownNames[sid]; ok {
			return n
		}
		return `PC\` + sid
	}
	got := describeGrants([]grant{{sidUsers, true, false}, {sidAuthUsr, true, true}, {sidBen, false, true}}, name)
	want := `Users may read, Authenticated Users may read and change, PC\` + sidBen + ` may change`
	if got != want {
		t.Errorf("describeGrants = %q; want %q", got, want)
	}
}

func TestMapGeneric(t *testing.T) {
	for _, tc := range []struct{ in, want uint32 }{
		{genericRead, fileGenericRead},
		{genericWrite, fileGenericWrite},
		{genericExecute, fileGenericExecute},
		{genericAll, fileAllAccess},
		{genericRead | rightDelete, fileGenericRead | rightDelete},
		{rightFileReadData, rightFileReadData},
	} {
		if got := mapGeneric(tc.in); got != tc.want {
			t.Errorf("mapGeneric(%#x) = %#x; want %#x", tc.in, got, tc.want)
		}
	}
}

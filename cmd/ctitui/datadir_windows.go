package main

import "golang.org/x/sys/windows"

// knownLocalAppData asks Windows for the user's local application data
// folder (FOLDERID_LocalAppData), for when %LocalAppData% is not set.
func knownLocalAppData() (string, error) {
	return windows.KnownFolderPath(windows.FOLDERID_LocalAppData, windows.KF_FLAG_DEFAULT)
}

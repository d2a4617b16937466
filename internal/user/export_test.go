package user

// SetBeforeHash makes an import call f just before it hashes each plaintext
// password, so that a test can act on the database while an import is
// hashing.
func SetBeforeHash(opts *ImportOptions, f func()) { opts.beforeHash = f }

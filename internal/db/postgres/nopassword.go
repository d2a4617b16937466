package postgres

// CheckNoPassword refuses a connection string that holds a password
// (ErrPasswordInURL) without connecting and without putting the string, or
// any part of it, in the error. The commands call it, through package
// engine, before anything else uses the location, so that a password is
// refused even by a command that fails before it opens the database.
func CheckNoPassword(connString string) error { return checkNoPassword(connString) }

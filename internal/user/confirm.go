package user

import "strings"

// ConfirmsDelete reports whether typed, what a person typed when asked to
// confirm deleting u, names u: its email, compared after NormalizeEmail (so
// letter case, Unicode case folding and the spaces around it do not matter),
// or its id, exactly but for the spaces around it. Nothing else counts: not
// an empty answer, nor a part of the email.
func ConfirmsDelete(u User, typed string) bool {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return false
	}
	return typed == u.ID || NormalizeEmail(typed) == NormalizeEmail(u.Email)
}

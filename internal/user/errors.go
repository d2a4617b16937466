package user

import (
	"errors"
	"fmt"
)

// Sentinel errors of the domain. The engines under internal/db translate
// driver errors into these, so no caller ever sees an engine's error code.
var (
	ErrNotFound           = errors.New("user not found")
	ErrAlreadyExists      = errors.New("user already exists")
	ErrInvalidEmail       = errors.New("invalid email")
	ErrInvalidRole        = errors.New("invalid role")
	ErrInvalidCredentials = errors.New("invalid email or password")
	ErrPasswordMismatch   = errors.New("passwords do not match")
	// ErrReferenced reports a user that rows of a table ctitui did not
	// create point at with a foreign key, which refuses the delete.
	ErrReferenced = errors.New("other records in the database point at this user")
	// ErrLastAdmin refuses to delete, disable or demote the last enabled
	// admin: nobody would be left to manage the platform's accounts.
	ErrLastAdmin = errors.New("the last enabled admin cannot be deleted, disabled or demoted")
)

// ExistsError reports a duplicate email. It matches ErrAlreadyExists with
// errors.Is and reads "user already exists: <email>".
type ExistsError struct{ Email string }

func (e *ExistsError) Error() string { return fmt.Sprintf("%v: %s", ErrAlreadyExists, e.Email) }

// Is makes errors.Is(err, ErrAlreadyExists) true.
func (e *ExistsError) Is(target error) bool { return target == ErrAlreadyExists }

// NotFoundError reports a missing user by the email that was asked for.
type NotFoundError struct{ Email string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("%v: %s", ErrNotFound, e.Email) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

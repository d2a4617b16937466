package password_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ctitui/ctitui/internal/password"
)

// pythonArgon2 returns a python3 that can import argon2 (argon2-cffi, Debian
// package python3-argon2, which wraps the reference C implementation), or
// skips the test.
func pythonArgon2(t *testing.T) string {
	t.Helper()
	// Debian's module lives with Debian's python3, which may not be the
	// first python3 on PATH.
	candidates := []string{"/usr/bin/python3"}
	if py, err := exec.LookPath("python3"); err == nil {
		candidates = append([]string{py}, candidates...)
	}
	for _, py := range candidates {
		if exec.Command(py, "-c", "import argon2").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with the argon2 module; install python3-argon2 to check hashes against the reference implementation")
	return ""
}

// A hash ctitui stores verifies with another argon2id implementation, and
// one made there verifies here: the PHC strings are interchangeable.
func TestHashesInteroperateWithReferenceImplementation(t *testing.T) {
	py := pythonArgon2(t)
	const plain = "Grüße aus dem Lagezentrum 2026"
	h := password.NewHasher(password.DefaultParams)
	ours, err := h.Hash(plain)
	if err != nil {
		t.Fatal(err)
	}
	script := `
import sys, argon2
ph = argon2.PasswordHasher()
mode, value, plain = sys.argv[1], sys.argv[2], sys.stdin.read()
if mode == "verify":
    try:
        print(ph.verify(value, plain))
    except argon2.exceptions.VerifyMismatchError:
        print(False)
else:
    print(argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16).hash(plain))
`
	run := func(mode, value, input string) string {
		t.Helper()
		cmd := exec.Command(py, "-c", script, mode, value)
		cmd.Stdin = strings.NewReader(input)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("python argon2 %s: %v", mode, err)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("verify", ours, plain); got != "True" {
		t.Errorf("argon2-cffi verify(ctitui hash %q) = %s; want True", ours, got)
	}
	if got := run("verify", ours, plain+"!"); got != "False" {
		t.Errorf("argon2-cffi verify(ctitui hash, wrong password) = %s; want False", got)
	}
	theirs := run("hash", "", plain)
	ok, rehash, err := h.Verify(plain, theirs)
	if !ok || rehash || err != nil {
		t.Errorf("Verify(argon2-cffi hash %q) = %v, rehash %v, %v; want true, false, nil", theirs, ok, rehash, err)
	}
}

// pythonPasslibBcrypt returns a python3 that can import passlib and bcrypt
// (Debian's python3-passlib and python3-bcrypt, the stack of the dashboards
// ctitui adopts), or skips the test.
func pythonPasslibBcrypt(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/bin/python3"}
	if py, err := exec.LookPath("python3"); err == nil {
		candidates = append([]string{py}, candidates...)
	}
	for _, py := range candidates {
		if exec.Command(py, "-c", "import passlib.hash, bcrypt").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with passlib and bcrypt; install python3-passlib and python3-bcrypt to check bcrypt hashes against the dashboard's stack")
	return ""
}

// A bcrypt hash ctitui writes verifies with passlib's bcrypt, as a dashboard
// checks it, and passlib's ($2b$, its default cost) verifies here without a
// rehash under the bcrypt scheme: the database stays usable by both.
func TestBcryptInteroperatesWithPasslib(t *testing.T) {
	py := pythonPasslibBcrypt(t)
	const plain = "Grüße aus dem Lagezentrum 2026"
	h := password.NewHasher(password.DefaultParams)
	ours, err := h.HashScheme(password.SchemeBcrypt, plain)
	if err != nil {
		t.Fatal(err)
	}
	script := `
import sys
from passlib.hash import bcrypt
mode, value, plain = sys.argv[1], sys.argv[2], sys.stdin.read()
if mode == "verify":
    print(bcrypt.verify(plain, value))
else:
    print(bcrypt.hash(plain))
`
	run := func(mode, value, input string) string {
		t.Helper()
		cmd := exec.Command(py, "-c", script, mode, value)
		cmd.Stdin = strings.NewReader(input)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("passlib bcrypt %s: %v", mode, err)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("verify", ours, plain); got != "True" {
		t.Errorf("passlib bcrypt.verify(ctitui hash %q) = %s; want True", ours, got)
	}
	if got := run("verify", ours, plain+"!"); got != "False" {
		t.Errorf("passlib bcrypt.verify(ctitui hash, wrong password) = %s; want False", got)
	}
	theirs := run("hash", "", plain)
	if !strings.HasPrefix(theirs, "$2b$12$") {
		t.Errorf("passlib bcrypt.hash = %q; want its default $2b$12$", theirs)
	}
	ok, rehash, err := h.VerifyScheme(password.SchemeBcrypt, plain, theirs)
	if !ok || rehash || err != nil {
		t.Errorf("VerifyScheme(bcrypt, passlib hash %q) = %v, rehash %v, %v; want true, false, nil", theirs, ok, rehash, err)
	}
	if ok, _, err := h.VerifyScheme(password.SchemeBcrypt, plain+"!", theirs); ok || err != nil {
		t.Errorf("VerifyScheme(bcrypt, wrong password, passlib hash) = %v, %v; want false, nil", ok, err)
	}
}

package password

import (
	"fmt"
	"strings"
)

// Cost limits: the most one stored hash may make a single Verify spend.
// A stored hash is attacker-controlled input (an import file, an adopted
// database, a restored backup), and Verify runs on every login attempt, so
// a hash beyond these limits is refused, never computed: by ParsePHC and
// CheckStored (import), by Verify (login), and reported by doctor.
//
// The limits accept every default a deployment is likely to have used:
// the five OWASP argon2id variants, argon2-cffi, passlib and RFC 9106's
// low-memory choice (64 MiB, t=3, p=4), PHP's PASSWORD_ARGON2ID (64 MiB,
// t=4), Django (100 MiB, t=2, p=8), libsodium's INTERACTIVE and MODERATE
// (256 MiB, t=3), and bcrypt up to cost 14 (passlib and pyca/bcrypt default
// to 12). Measured on the 2-core machine ctitui was tuned on
// (BenchmarkVerifyCost, medians), bcrypt cost 14 takes 0.94 s (1.06 s with
// other work running) and the costliest argon2id the limits allow (256 MiB
// x 3 passes) 0.62 s (0.93 s); both stay well below the failure floor,
// user.DefaultFailureFloor (3 s), so a failed login on such an account
// takes no longer than any other.
const (
	// MaxArgon2Memory caps argon2id memory, in KiB: 256 MiB, what
	// libsodium's MODERATE uses. RFC 9106's first choice (2 GiB) and
	// libsodium's SENSITIVE (1 GiB) are for key derivation, not logins.
	MaxArgon2Memory = 256 << 10
	// MaxArgon2Time caps argon2id passes. Real defaults use 1 to 5.
	MaxArgon2Time = 32
	// MaxArgon2Threads caps argon2id lanes. Real defaults use 1 to 8.
	MaxArgon2Threads = 16
	// MaxArgon2Work caps memory x time, in KiB x passes: 768 MiB,
	// libsodium's MODERATE (256 MiB x 3). The work, not memory or time
	// alone, sets how long a verify takes.
	MaxArgon2Work = 768 << 10
	// MinBcryptCost is the least cost bcrypt defines.
	MinBcryptCost = 4
	// MaxBcryptCost caps a stored bcrypt hash's cost: each step doubles
	// the work, and cost 14 takes about a second.
	MaxBcryptCost = 14
)

// MaxPasswordBytes is the longest password, in bytes, that ctitui reads
// (from stdin or a terminal) or verifies. It holds every password the
// policy accepts, however it is typed: MaxLength code points after NFC,
// each of which may arrive as up to 9 bytes of decomposed input (a Hangul
// syllable as three jamo). Anything longer can only be an attack on memory
// or time.
const MaxPasswordBytes = 4096

// Limits describes the cost limits for people, as doctor and import
// errors quote them.
func Limits() string {
	return fmt.Sprintf("argon2id memory up to %s, time up to %d, parallelism up to %d, memory x time up to %s; bcrypt cost up to %d",
		kib(MaxArgon2Memory), MaxArgon2Time, MaxArgon2Threads, kib(MaxArgon2Work), MaxBcryptCost)
}

func kib(n uint64) string {
	if n%(1<<10) == 0 {
		return fmt.Sprintf("%d MiB", n>>10)
	}
	return fmt.Sprintf("%d KiB", n)
}

// costlyArgon2 returns why argon2id parameters m, t, p exceed the cost
// limits, or "" when they do not. The values are as parsed (before any
// narrowing), so that 2^32 KiB is too costly rather than 0.
func costlyArgon2(m, t, p uint64) string {
	var why []string
	if m > MaxArgon2Memory {
		why = append(why, fmt.Sprintf("memory %d KiB above %d", m, MaxArgon2Memory))
	}
	if t > MaxArgon2Time {
		why = append(why, fmt.Sprintf("time %d above %d", t, MaxArgon2Time))
	}
	if p > MaxArgon2Threads {
		why = append(why, fmt.Sprintf("parallelism %d above %d", p, MaxArgon2Threads))
	}
	// Only multiplied once both are within their limits, so the product
	// cannot overflow.
	if len(why) == 0 && m*t > MaxArgon2Work {
		why = append(why, fmt.Sprintf("memory x time %d KiB above %d", m*t, MaxArgon2Work))
	}
	return strings.Join(why, ", ")
}

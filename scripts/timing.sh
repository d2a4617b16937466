#!/usr/bin/env bash
# scripts/timing.sh [ROUNDS] — time failed `ctitui user verify` through the
# real binary, for every kind of account a failure can hit, and print the
# median, fastest, slowest and spread of each: they should all sit at the
# failure floor (user.DefaultFailureFloor, 3 s), so that the time of a
# failed login tells nothing about the account.
#
# It builds ctitui with CGO_ENABLED=0 into a temporary directory, makes a
# database there with one account per case (hashes that ctitui would not
# write itself are put in with the sqlite3 shell, as another tool or an
# adopted database would leave them), and runs ROUNDS rounds (default 7,
# at most 90: the accounts must stay below the 100-failure cap) of every
# case in a shuffled order. Each failed verify takes the floor, so a run
# takes about ROUNDS x 13 x 3 s (5 minutes at the default). CI does not run
# it; the Go benchmarks BenchmarkVerifyFailure (internal/user) and
# BenchmarkVerifyCost (internal/password) measure the same in process.
#
# Environment:
#   TIMING_KEEP=1   keep the temporary directory (the database, the times)
set -euo pipefail
export LC_ALL=C.UTF-8

ROUNDS=${1:-7}
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || ((ROUNDS < 1 || ROUNDS > 90)); then
	echo "usage: scripts/timing.sh [ROUNDS]   (1 to 90; default 7)" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
command -v sqlite3 >/dev/null || { echo "timing: the sqlite3 shell is required" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctitui-timing.XXXXXX")
if [[ ${TIMING_KEEP:-} == 1 ]]; then
	trap 'echo "timing: kept $WORK" >&2' EXIT
else
	trap 'rm -rf "$WORK"' EXIT
fi
log() { printf 'timing: %s\n' "$*" >&2; }

log "building ctitui in $WORK"
CGO_ENABLED=0 go build -o "$WORK/ctitui" ./cmd/ctitui
DB=$WORK/ctitui.db
ctitui() { "$WORK/ctitui" --db "$DB" "$@"; }

# The password of every account. The hashes below are of it: bcrypt from
# golang.org/x/crypto/bcrypt, argon2id from ctitui's own hasher.
PW='timing harbor lantern 2026'
WRONG='timing harbor lantern 2027'
BCRYPT12='$2a$12$KB.0KZWa8xXz0Ku5nZxOPObucSi5.YkGVhqk2kimi206VWW7.WizW'
BCRYPT14='$2a$14$Jf.F4oCX7frqGikq.E6OqOastzLFq.mRHS/wjDpTyoL86d15XmwOC'
ARGON_CHEAP='$argon2id$v=19$m=8,t=1,p=1$pl6kX2P5OgLJhIqj2NQJJw$ShdZok5qmD7zdvbgVwGuebI44C3nV/k/puncO74Y2h4'
ARGON_LIMIT='$argon2id$v=19$m=262144,t=3,p=1$zpNu1v6thPRAYsvKk9CbLg$T1opc/7ZSGg0fozO0CPi9wt2DhbPAkjrTfUMUd/v2wc'
COSTLY='$2b$15$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'
MALFORMED='$argon2id$v=19$m=19456,t=2,p=1$bm90IGEgaGFzaA$'

log "making the accounts"
for who in known disabled locked blocked bcrypt12 bcrypt14 long malformed costly cheap limit nopassword; do
	printf '%s\n' "$PW" | ctitui user add --email "$who@example.org" --password-stdin >/dev/null 2>&1
done
ctitui user disable disabled@example.org >/dev/null
# No timed lock may get in the way of the measurement; the locked and
# blocked accounts are set as they would be after many failures.
ctitui settings --lockout-threshold 1000 >/dev/null
sqlite3 "$DB" \
	"UPDATE users SET failed_logins = 5, locked_until = '9999-01-01T00:00:00.000Z' WHERE email = 'locked@example.org';" \
	"UPDATE users SET failed_logins = 100 WHERE email = 'blocked@example.org';" \
	"UPDATE users SET hashed_password = '$BCRYPT12' WHERE email IN ('bcrypt12@example.org', 'long@example.org');" \
	"UPDATE users SET hashed_password = '$BCRYPT14' WHERE email = 'bcrypt14@example.org';" \
	"UPDATE users SET hashed_password = '$MALFORMED' WHERE email = 'malformed@example.org';" \
	"UPDATE users SET hashed_password = '$COSTLY' WHERE email = 'costly@example.org';" \
	"UPDATE users SET hashed_password = '$ARGON_CHEAP' WHERE email = 'cheap@example.org';" \
	"UPDATE users SET hashed_password = '$ARGON_LIMIT' WHERE email = 'limit@example.org';" \
	"UPDATE users SET hashed_password = '!' WHERE email = 'nopassword@example.org';"

LONG=$(printf 'a%.0s' {1..73})
# name|email|password|expected exit status
CASES=(
	"unknown email|nobody@example.org|$PW|1"
	"wrong password (argon2id, ctitui's)|known@example.org|$WRONG|1"
	"disabled, right password|disabled@example.org|$PW|1"
	"locked, right password|locked@example.org|$PW|1"
	"blocked (100 failures), right password|blocked@example.org|$PW|1"
	"bcrypt cost 12, wrong password|bcrypt12@example.org|$WRONG|1"
	"bcrypt cost 14, wrong password|bcrypt14@example.org|$WRONG|1"
	"bcrypt, 73-byte password|long@example.org|$LONG|1"
	"malformed hash|malformed@example.org|$PW|1"
	"bcrypt cost 15 (refused)|costly@example.org|$PW|1"
	"argon2id m=8,t=1, wrong password|cheap@example.org|$WRONG|1"
	"argon2id m=256MiB,t=3, wrong password|limit@example.org|$WRONG|1"
	"no password (!)|nopassword@example.org|$PW|1"
	"success, for reference (not padded)|known@example.org|$PW|0"
)

now_ns() { date +%s%N; }
log "$ROUNDS rounds of ${#CASES[@]} cases"
for ((r = 1; r <= ROUNDS; r++)); do
	while read -r i; do
		IFS='|' read -r name email pw want <<<"${CASES[$i]}"
		start=$(now_ns)
		set +e
		printf '%s\n' "$pw" | "$WORK/ctitui" --db "$DB" user verify "$email" --password-stdin >/dev/null 2>"$WORK/stderr"
		got=$?
		set -e
		end=$(now_ns)
		if [[ $got != "$want" ]]; then
			log "$name: exit $got, want $want: $(cat "$WORK/stderr")"
			exit 1
		fi
		echo $(((end - start) / 1000000)) >>"$WORK/times.$i"
	done < <(shuf -i 0-$((${#CASES[@]} - 1)))
	log "round $r done"
done

printf '%-42s %8s %8s %8s %8s\n' "CASE" "MEDIAN" "FASTEST" "SLOWEST" "SPREAD"
lo=; hi=
for i in "${!CASES[@]}"; do
	IFS='|' read -r name _ _ want <<<"${CASES[$i]}"
	read -r med min max < <(sort -n "$WORK/times.$i" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2); print m, v[1], v[NR] }')
	printf '%-42s %6s ms %6s ms %6s ms %6s ms\n' "$name" "$med" "$min" "$max" "$((max - min))"
	if [[ $want == 1 ]]; then
		[[ -z $lo ]] || ((med < lo)) && lo=$med
		[[ -z $hi ]] || ((med > hi)) && hi=$med
	fi
done
echo "failure medians span $lo to $hi ms: $((hi - lo)) ms apart ($ROUNDS rounds; load $(cut -d' ' -f1-3 /proc/loadavg))"

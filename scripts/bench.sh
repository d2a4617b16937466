#!/usr/bin/env bash
# scripts/bench.sh [N] — measure ctitui at N users (default 1,000,000) against
# the machine's own yardsticks, the sqlite3 shell reading the same file and
# argon2id on every core, and write the figures to BENCHMARKS.md.
#
# It installs sqlite3 and hyperfine when missing (Debian packages; without
# hyperfine it times loops itself), builds ctitui with CGO_ENABLED=0 and
# cmd/benchdb into a temporary directory, builds the database there, and
# measures medians of several runs. A full run at 1,000,000 users takes
# about half an hour on two cores, most of it the 10,000-user import with
# plaintext passwords (10,000 argon2id hashes, several times) and the
# 1,000,000-user import.
#
# Environment:
#   BENCH_RUNS         runs per command measurement (default 5)
#   BENCH_LIST_RUNS    runs of each full listing (default 3)
#   BENCH_IMPORT_RUNS  runs of the plaintext import (default 3)
#   BENCH_BULK_RUNS    runs of the import of every user with hashes (default 2)
#   BENCH_IMPORT_USERS users in the plaintext import (default 10000)
#   BENCH_OUT          the report (default BENCHMARKS.md at the repository root)
#   BENCH_DB           reuse this database (built by cmd/benchdb with N users)
#   BENCH_KEEP=1       keep the temporary directory (the database, the logs)
#   BENCH_COMPARE_FTS=1  also build the database with -fts rebuild, to compare
#   BENCH_DOCTOR_FULL_RUNS  runs of doctor --full (default 2)
#   BENCH_ONLY         comma-separated sections to run alone (base, roles,
#                      logins, doctor, startup); their rows are printed to
#                      stdout and BENCHMARKS.md is left alone unless "base"
#                      is among them
#   BENCH_LOGINS       logins a batch holds in the logins section (default 50)
#   BENCH_BEFORE_REF   the commit whose ctitui is the "before" of the cold
#                      verify (default a379bb2, main before issue 12)
#
# A section of BENCHMARKS.md from the line
#   <!-- analysis: kept by scripts/bench.sh -->
# to its end is written by people and kept as it is.
set -euo pipefail
export LC_ALL=C.UTF-8

N=${1:-1000000}
if ! [[ $N =~ ^[0-9]+$ ]] || ((N < 1000)); then
	echo "usage: scripts/bench.sh [N]   (N users, at least 1000; default 1000000)" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${BENCH_RUNS:-5}
LIST_RUNS=${BENCH_LIST_RUNS:-3}
IMPORT_RUNS=${BENCH_IMPORT_RUNS:-3}
BULK_RUNS=${BENCH_BULK_RUNS:-2}
IMPORT_USERS=${BENCH_IMPORT_USERS:-10000}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctitui-bench.XXXXXX")
if [[ ${BENCH_KEEP:-} == 1 ]]; then
	trap 'echo "bench: kept $WORK" >&2' EXIT
else
	trap 'rm -rf "$WORK"' EXIT
fi

log() { printf 'bench: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- tools -------------------------------------------------------------------
missing=()
have sqlite3 || missing+=(sqlite3)
have hyperfine || missing+=(hyperfine)
if ((${#missing[@]} > 0)); then
	sudo=()
	((EUID == 0)) || sudo=(sudo)
	log "installing ${missing[*]}"
	if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}"; } >"$WORK/apt.log" 2>&1; then
		log "could not install ${missing[*]} (see below); going on with what there is"
		tail -5 "$WORK/apt.log" >&2 || true
	fi
fi
have sqlite3 || { log "sqlite3 is required"; exit 1; }
have go || { log "go is required"; exit 1; }

log "building ctitui and benchdb in $WORK"
CGO_ENABLED=0 go build -o "$WORK/ctitui" ./cmd/ctitui
CGO_ENABLED=0 go build -o "$WORK/benchdb" ./cmd/benchdb
CTITUI=$WORK/ctitui

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
T0=$(date +%s)

# --- helpers -------------------------------------------------------------------

# median reads numbers, one a line, and prints their median.
median() {
	sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) printf "%g\n", v[(NR + 1) / 2]; else printf "%g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# calc evaluates an awk expression and prints it with format $1.
calc() { awk "BEGIN {printf \"$1\", $2}"; }

json_field() { # json_field KEY FILE: the first numeric "KEY": value of a hyperfine export
	awk -v key="\"$1\":" '$1 == key {gsub(/,/, "", $2); print $2; exit}' "$2"
}

# measure NAME RUNS WARMUP PREPARE COMMAND: times COMMAND (run without a
# shell by hyperfine, or through eval by the fallback loop), its output
# discarded, RUNS times after WARMUP untimed runs, PREPARE (may be "") before
# each. Writes "median_seconds cpu_seconds" to $WORK/NAME.res; cpu is the mean
# user+system time per run (hyperfine only; "nan" otherwise).
measure() {
	local name=$1 runs=$2 warmup=$3 prepare=$4 cmd=$5
	log "measuring $name ($runs runs): $cmd"
	if have hyperfine; then
		local args=(-N --style basic --runs "$runs" --warmup "$warmup" --export-json "$WORK/$name.json")
		[[ -n $prepare ]] && args+=(--prepare "$prepare")
		if ! hyperfine "${args[@]}" "$cmd" >"$WORK/$name.log" 2>&1; then
			cat "$WORK/$name.log" >&2
			return 1
		fi
		local med user sys
		med=$(json_field median "$WORK/$name.json")
		user=$(json_field user "$WORK/$name.json")
		sys=$(json_field system "$WORK/$name.json")
		echo "$med $(calc '%.6f' "$user + $sys")" >"$WORK/$name.res"
	else
		local i t0 t1
		for ((i = 0; i < warmup; i++)); do
			[[ -n $prepare ]] && eval "$prepare"
			eval "$cmd" >/dev/null 2>&1
		done
		: >"$WORK/$name.times"
		for ((i = 0; i < runs; i++)); do
			[[ -n $prepare ]] && eval "$prepare"
			t0=$(date +%s%N)
			eval "$cmd" >/dev/null 2>&1
			t1=$(date +%s%N)
			echo $(((t1 - t0) / 1000)) >>"$WORK/$name.times"
		done
		echo "$(median <"$WORK/$name.times" | awk '{printf "%.6f", $1 / 1e6}') nan" >"$WORK/$name.res"
	fi
}
med_of() { cut -d' ' -f1 "$WORK/$1.res"; }
cpu_of() { cut -d' ' -f2 "$WORK/$1.res"; }
ms() { calc '%.1f' "$1 * 1000"; }

# gobench_metric FILE NAME UNIT: the median over -count runs of the value
# reported with UNIT on the lines of benchmark NAME (exact, any -GOMAXPROCS).
gobench_metric() {
	awk -v name="$2" -v unit="$3" '
		{ n = $1; sub(/-[0-9]+$/, "", n) }
		n == name { for (i = 3; i <= NF; i++) if ($i == unit) print $(i - 1) }' "$1" | median
}

verdict() { # verdict VALUE OP LIMIT: "met" or "missed"
	if awk "BEGIN {exit !($1 $2 $3)}"; then echo met; else echo "**missed**"; fi
}

# section_on NAME: whether BENCH_ONLY (unset: every section) asks for NAME.
section_on() { [[ -z ${BENCH_ONLY:-} || ,$BENCH_ONLY, == *,$1,* ]]; }

# --- logins (issue 12, section 2) ------------------------------------------------
# Each section writes its rows of the results table to $WORK/rows-NAME.md.

# bench_logins measures a login checked by a separate `user verify` process
# against one line of `user verify --batch` (logins spread over 8 accounts), and the cold `user verify`
# before and after argon2id's memory is faulted in ahead (BENCH_BEFORE_REF's
# ctitui against this one). Its own small database: the cost is the hash and
# one write, not the size of the file. Every login succeeds (a failure waits
# out the 3 s floor in both).
bench_logins() {
	bench_logins_rows >"$WORK/rows-logins.md"
}

bench_logins_rows() {
	local k=${BENCH_LOGINS:-50} ldb=$WORK/logins.db pw=logins-benchmark-correct-horse-staple i
	# The batch's logins go to 8 accounts in turn, as a service's would: a
	# batch checks one account's lines one after another, others at once.
	log "logins: a database with 8 users, $k logins a batch"
	printf '%s\n' "$pw" | "$CTITUI" --db "$ldb" user add --email alice@example.org --password-stdin >/dev/null 2>&1
	for ((i = 1; i < 8; i++)); do
		printf '%s\n' "$pw" | "$CTITUI" --db "$ldb" user add --email "user$i@example.org" --password-stdin >/dev/null 2>&1
	done
	printf '%s\n' "$pw" >"$WORK/login-one.txt"
	: >"$WORK/login-batch.jsonl"
	for ((i = 0; i < k; i++)); do
		local email=alice@example.org
		((i % 8)) && email=user$((i % 8))@example.org
		printf '{"email": "%s", "password": "%s"}\n' "$email" "$pw" >>"$WORK/login-batch.jsonl"
	done
	# Both through sh -c, for the redirection (hyperfine 1.15 has no --input).
	measure login_single "$((RUNS * 4))" 2 "" "sh -c 'exec $CTITUI --db $ldb user verify alice@example.org --password-stdin <$WORK/login-one.txt'"
	measure login_batch "$RUNS" 1 "" "sh -c 'exec $CTITUI --db $ldb user verify --batch <$WORK/login-batch.jsonl'"
	local got
	got=$("$CTITUI" --db "$ldb" user verify --batch <"$WORK/login-batch.jsonl" | grep -c '"ok":true' || true)
	((got == k)) || { log "logins: the batch logged in $got of $k"; return 1; }
	local single batch per ratio cpu_single cpu_per rc=n/a
	single=$(med_of login_single)
	batch=$(med_of login_batch)
	per=$(calc '%.6f' "$batch / $k")
	ratio=$(calc '%.2f' "$per / $single")
	cpu_single=$(cpu_of login_single)
	if [[ $cpu_single != nan ]]; then
		cpu_per=$(calc '%.6f' "$(cpu_of login_batch) / $k")
		rc=$(calc '%.2f' "$cpu_per / $cpu_single")
	fi
	echo "| per-login time, \`user verify --batch\` ($k logins a process) vs a \`user verify\` process each | ≤ 0.5× separate processes | $(ms "$per") ms vs $(ms "$single") ms | **${ratio}×** (CPU ${rc}×) | $(verdict "$ratio" '<=' 0.5) |"

	local ref=${BENCH_BEFORE_REF:-a379bb2}
	if git rev-parse --verify -q "$ref^{commit}" >/dev/null; then
		log "logins: building ctitui at $ref for the cold verify before"
		git worktree add -q --detach "$WORK/before-src" "$ref" >/dev/null 2>&1
		(cd "$WORK/before-src" && CGO_ENABLED=0 go build -o "$WORK/ctitui-before" ./cmd/ctitui)
		git worktree remove --force "$WORK/before-src"
		# Its own database: a newer schema is one an older ctitui refuses.
		printf '%s\n' "$pw" | "$WORK/ctitui-before" --db "$WORK/logins-before.db" user add --email alice@example.org --password-stdin >/dev/null 2>&1
		measure login_cold_before "$((RUNS * 4))" 2 "" "sh -c 'exec $WORK/ctitui-before --db $WORK/logins-before.db user verify alice@example.org --password-stdin <$WORK/login-one.txt'"
		# Measured again right after, so that both see the same load.
		measure login_cold_after "$((RUNS * 4))" 2 "" "sh -c 'exec $CTITUI --db $ldb user verify alice@example.org --password-stdin <$WORK/login-one.txt'"
		local before after
		before=$(med_of login_cold_before)
		after=$(med_of login_cold_after)
		echo "| cold \`user verify\` (a new process, right password), after vs before ($ref) | smaller | $(ms "$after") ms (CPU $(ms "$(cpu_of login_cold_after)") ms) vs $(ms "$before") ms (CPU $(ms "$(cpu_of login_cold_before)") ms) | **$(calc '%.2f' "$after / $before")×** | |"
	else
		echo "| cold \`user verify\`, before vs after | smaller | not measured: $ref is not in this clone | | |"
	fi
}

# only_rows: with BENCH_ONLY set and no "base", print the rows of the
# sections run so far and end.
only_rows() {
	[[ -n ${BENCH_ONLY:-} ]] && ! section_on base || return 0
	log "BENCH_ONLY=$BENCH_ONLY: rows below; BENCHMARKS.md left as it is (load average start $LOAD_START, end $(loadavg))"
	echo "| measurement | target | measured | ratio | |"
	echo "|---|---|---|---|---|"
	cat "$WORK"/rows-*.md 2>/dev/null || true
	exit 0
}

if section_on logins; then bench_logins; fi
# The sections below need the database.
if [[ -n ${BENCH_ONLY:-} ]] && ! section_on base && ! section_on roles && ! section_on doctor && ! section_on startup; then only_rows; fi

# --- the database ------------------------------------------------------------
DB=${BENCH_DB:-}
if [[ -n $DB ]]; then
	log "using $DB"
	BUILD_LINE="reused $DB (built by cmd/benchdb)"
else
	DB=$WORK/bench.db
	log "building $DB with $N users"
	"$WORK/benchdb" -n "$N" -o "$DB" | tee "$WORK/benchdb.log" >&2
	BUILD_LINE=$(grep '^benchdb:' "$WORK/benchdb.log" | sed "s|$WORK/||")
	BUILD_PHASES=$(grep -E '^  inserts ' "$WORK/benchdb.log" | sed 's/^ *//')
fi
FTS_COMPARE=""
if [[ ${BENCH_COMPARE_FTS:-} == 1 ]]; then
	log "building the same database with -fts rebuild, for comparison"
	"$WORK/benchdb" -n "$N" -o "$WORK/bench-rebuild.db" -fts rebuild | tee "$WORK/benchdb-rebuild.log" >&2
	FTS_COMPARE="$(grep '^benchdb:' "$WORK/benchdb-rebuild.log" | sed "s|$WORK/||"); phases: $(grep -E '^  inserts ' "$WORK/benchdb-rebuild.log" | sed 's/^ *//')"
	rm -f "$WORK/bench-rebuild.db"*
fi
USERS=$(sqlite3 "$DB" 'SELECT count(*) FROM users')
DB_MIB=$(($(stat -c %s "$DB") / 1048576))

# --- sections: doctor, start-up -------------------------------------------------
# Each section measures into $WORK (bench_NAME) and prints its rows of the
# results table (report_NAME), which go to $WORK/rows-NAME.md.

# doctor: the default quick look (target < 5 s at 1,000,000 users) and
# --full, every check in full, which is what doctor did before.
bench_doctor() {
	measure doctor_quick "$RUNS" 1 "" "$CTITUI --db $DB doctor"
	measure doctor_full "${BENCH_DOCTOR_FULL_RUNS:-2}" 0 "" "$CTITUI --db $DB doctor --full"
}
report_doctor() {
	local q f
	q=$(med_of doctor_quick)
	f=$(med_of doctor_full)
	echo "| \`doctor\` (quick look, the default), $USERS users | < 5 s at 1,000,000 users | $(calc '%.2f' "$q") s (CPU $(calc '%.2f' "$(cpu_of doctor_quick)") s) | $(calc '%.2f' "$q / $f")× \`doctor --full\` | $(verdict "$q" '<' 5) |"
	echo "| \`doctor --full\` (every check; what \`doctor\` did before), $USERS users | | $(calc '%.1f' "$f") s (CPU $(calc '%.1f' "$(cpu_of doctor_full)") s) | | |"
}

# startup: migrate status against the shell's `select 1` on the same file
# (target ≤ 2×), and user add without its hash against migrate status
# (target ≤ 2×). "Without its hash": the same code in the test binary,
# which runs as ctitui (testscript's TestMain) with passwordtest's cheap
# argon2id parameters, the only difference; its testing packages make it
# start a little slower, so the figure errs high. Each add goes into the
# benchmark file; the untimed prepare deletes the user again.
bench_startup() {
	local email=bench-startup-user@example.org cheap=$WORK/cheap/ctitui
	log "building the test binary (ctitui with cheap hashes)"
	CGO_ENABLED=0 go test -c -o "$WORK/ctitui.test" ./cmd/ctitui
	mkdir -p "$WORK/cheap"
	ln -sf ../ctitui.test "$cheap"
	# (A run stopped midway may have left the user behind.)
	"$cheap" --db "$DB" user delete "$email" --yes >/dev/null 2>&1 || true
	"$cheap" --db "$DB" user add --email "$email" --generate-password >/dev/null
	measure startup_status "$((RUNS * 4))" 3 "" "$CTITUI --db $DB migrate status"
	measure startup_select1 "$((RUNS * 4))" 3 "" "sqlite3 $DB \"select 1\""
	measure startup_version "$((RUNS * 4))" 3 "" "$CTITUI version"
	# --generate-password: no stdin to feed, and the password still goes
	# through the policy (the common-password list included).
	measure startup_add_nohash "$((RUNS * 4))" 1 "$cheap --db $DB user delete $email --yes" "$cheap --db $DB user add --email $email --generate-password"
	measure startup_add "$RUNS" 1 "$CTITUI --db $DB user delete $email --yes" "$CTITUI --db $DB user add --email $email --generate-password"
	"$CTITUI" --db "$DB" user delete "$email" --yes >/dev/null
}
report_startup() {
	local st s1 an r1 r2
	st=$(med_of startup_status)
	s1=$(med_of startup_select1)
	an=$(med_of startup_add_nohash)
	r1=$(calc '%.2f' "$st / $s1")
	r2=$(calc '%.2f' "$an / $st")
	echo "| \`migrate status\` start-up | ≤ 2× sqlite3 \`select 1\` | $(ms "$st") ms (CPU $(ms "$(cpu_of startup_status)") ms) vs $(ms "$s1") ms (CPU $(ms "$(cpu_of startup_select1)") ms); \`ctitui version\` (no database) $(ms "$(med_of startup_version)") ms | **${r1}×** | $(verdict "$r1" '<=' 2) |"
	echo "| \`user add\` without its hash | ≤ 2× \`migrate status\` | $(ms "$an") ms (CPU $(ms "$(cpu_of startup_add_nohash)") ms) vs $(ms "$st") ms; with its hash (the binary): $(ms "$(med_of startup_add)") ms | **${r2}×** | $(verdict "$r2" '<=' 2) |"
}

# --- section roles: full listings against the normalised statement ------------
# The anchor is the statement a person would write for the same listing:
# users joined with user_roles and roles, grouped per user, newest first.
NORM_SQL="SELECT u.id, u.email, group_concat(r.name, ',') AS roles, u.disabled_at IS NOT NULL AS disabled, u.created_at, u.updated_at, u.last_login_at, u.disabled_at, u.failed_logins, u.locked_until FROM users u LEFT JOIN user_roles ur ON ur.user_id = u.id LEFT JOIN roles r ON r.id = ur.role_id GROUP BY u.id ORDER BY u.created_at DESC, u.id DESC"
# The statement ctitui's ListUsers runs for `user list` (internal/db/sqlite/list.go:
# listWithoutHashColumns FROM users u, in rowid order while users_order
# holds, else ORDER BY u.created_at DESC, u.id DESC): the shell running it
# shows what is left between the two SQLite engines.
LIST_ORDER="u.created_at DESC, u.id DESC"
[[ $(sqlite3 "$DB" 'SELECT in_order FROM users_order' 2>/dev/null) == 1 ]] && LIST_ORDER="u.rowid DESC"
LIST_SQL="SELECT u.id, u.email, '', u.created_at, u.updated_at, u.disabled_at, u.last_login_at, u.failed_logins, u.locked_until, u.role_names FROM users u ORDER BY $LIST_ORDER"
ROLES_ROWS=$WORK/rows-roles.md
: >"$ROLES_ROWS"

# roles_row LABEL CTITUI ANCHOR LIMIT ANCHOR_NAME: a results row, ratio of medians and of CPU.
roles_row() {
	local a b ra rc ca cb
	a=$(med_of "$2")
	b=$(med_of "$3")
	ra=$(calc '%.2f' "$a / $b")
	ca=$(cpu_of "$2")
	cb=$(cpu_of "$3")
	rc=n/a
	[[ $ca != nan ]] && rc=$(calc '%.2f' "$ca / $cb")
	if [[ -n $4 ]]; then
		echo "| $1 | ≤ $4× $5 | $(ms "$a") ms vs $(ms "$b") ms | **${ra}×** (CPU ${rc}×) | $(verdict "$ra" '<=' "$4") |"
	else
		echo "| $1 | (no target) | $(ms "$a") ms vs $(ms "$b") ms | ${ra}× (CPU ${rc}×) | |"
	fi
}

section_roles() {
	local f
	for f in json csv; do
		measure "list_${f}_ctitui" "$LIST_RUNS" 1 "" "$CTITUI --db $DB user list --format $f"
		measure "list_${f}_norm" "$LIST_RUNS" 1 "" "sqlite3 -$f $DB \"$NORM_SQL\""
		measure "list_${f}_own" "$LIST_RUNS" 1 "" "sqlite3 -$f $DB \"$LIST_SQL\""
	done
	# Same row count both ways?
	JSON_ROWS=$("$CTITUI" --db "$DB" user list --format json | grep -c '"id":' || true)
	SQLITE_ROWS=$(sqlite3 -json "$DB" "$NORM_SQL" | grep -c '"id":' || true)
	{
		for f in json csv; do
			roles_row "\`user list --format $f\`, all users ($JSON_ROWS rows; the shell $SQLITE_ROWS)" "list_${f}_ctitui" "list_${f}_norm" 0.8 "sqlite3, normalised statement"
		done
		for f in json csv; do
			roles_row "\`user list --format $f\` against the shell running ctitui's own statement (the engines' gap)" "list_${f}_ctitui" "list_${f}_own" "" ""
		done
		for f in json csv; do
			roles_row "sqlite3 -$f: ctitui's own statement against the normalised one" "list_${f}_own" "list_${f}_norm" "" ""
		done
	} >"$ROLES_ROWS"
}

if section_on roles; then section_roles; fi
for name in doctor startup; do
	if section_on "$name"; then
		"bench_$name"
		"report_$name" >"$WORK/rows-$name.md"
	fi
done
only_rows

# --- search --------------------------------------------------------------------
MID_EMAIL=$(sqlite3 "$DB" 'SELECT email FROM users ORDER BY rowid LIMIT 1 OFFSET (SELECT count(*) / 2 FROM users)')
MID_LOCAL=${MID_EMAIL%@*}
RARE=$(printf '%s' "$MID_LOCAL" | grep -oE '[0-9]+$' || true)
RARE=${RARE:+$RARE@}
RARE=${RARE:-$MID_EMAIL}
SEARCH_NAMES=(rare-user-number surname unicode-domain domain-part common two-chars skewed-prefix no-match)
SEARCH_TERMS=("$RARE" lindqvist "équipe-3." team-7.example example ma +12 qxzqxz)
for i in "${!SEARCH_NAMES[@]}"; do
	measure "search_${SEARCH_NAMES[$i]}" "$RUNS" 1 "" "$CTITUI --db $DB user list --search ${SEARCH_TERMS[$i]} --limit 200"
done

log "Go benchmarks of the database (search, count, listing, open)"
CTITUI_BENCH_DB=$DB go test ./internal/db/sqlite -run '^$' -bench '^Benchmark(Search|Open)$' \
	-benchtime 5x -count 3 -timeout 60m >"$WORK/gobench-db.txt" 2>&1 || { cat "$WORK/gobench-db.txt" >&2; exit 1; }
CTITUI_BENCH_DB=$DB go test ./internal/db/sqlite -run '^$' -bench '^Benchmark(SearchCount|SearchAsYouType|SearchIndexPlan)$' \
	-benchtime 2x -count 3 -timeout 60m >>"$WORK/gobench-db.txt" 2>&1 || { cat "$WORK/gobench-db.txt" >&2; exit 1; }
log "Go benchmark of argon2id on all cores (no database)"
go test ./internal/db/sqlite -run '^$' -bench '^BenchmarkHashAllCores$' -benchtime 200x -count 3 \
	>"$WORK/gobench-hash.txt" 2>&1 || { cat "$WORK/gobench-hash.txt" >&2; exit 1; }
HASH10K=$(gobench_metric "$WORK/gobench-hash.txt" BenchmarkHashAllCores s/10k-hashes)
HASH10K_CPU=$(gobench_metric "$WORK/gobench-hash.txt" BenchmarkHashAllCores cpu-s/10k-hashes)
HASH1=$(gobench_metric "$WORK/gobench-hash.txt" BenchmarkHashAllCores ms/hash-one-core)

# --- import ------------------------------------------------------------------
IMPORT_OK=0
if "$CTITUI" user import --help >/dev/null 2>&1; then
	IMPORT_OK=1
	log "writing the import files"
	# Users with plaintext passwords that pass the policy.
	awk -v n="$IMPORT_USERS" 'BEGIN {
		print "email,roles,password"
		split("admin analyst viewer analyst,viewer", roles, " ")
		for (i = 1; i <= n; i++)
			printf "imported.user%05d@import-%d.example.org,\"%s\",plain-benchmark-%05d-correct-horse-staple\n", i, i % 7, roles[i % 4 + 1], i
	}' >"$WORK/import-plain.csv"
	# Every user of the benchmark database, with its PHC hash.
	sqlite3 -csv -header "$DB" "SELECT u.email AS email, COALESCE((SELECT group_concat(r.name, ',') FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id), '') AS roles, u.hashed_password AS hashed_password FROM users u ORDER BY u.rowid" >"$WORK/import-all.csv"
	IMP=$WORK/import.db
	CLEAN="rm -f $IMP $IMP-wal $IMP-shm $IMP.lock"
	measure import_plain "$IMPORT_RUNS" 0 "$CLEAN" "$CTITUI --db $IMP user import $WORK/import-plain.csv"
	IMPORTED=$(sqlite3 "$IMP" 'SELECT count(*) FROM users')
	measure import_all "$BULK_RUNS" 0 "$CLEAN" "$CTITUI --db $IMP user import $WORK/import-all.csv"
	IMPORTED_ALL=$(sqlite3 "$IMP" 'SELECT count(*) FROM users')
	rm -f "$IMP" "$IMP"-wal "$IMP"-shm "$IMP".lock
fi

# --- terminal UI ---------------------------------------------------------------
log "Go benchmarks of the terminal UI"
CTITUI_BENCH_DB=$DB go test ./internal/ui -run '^$' -bench '^BenchmarkTUI(FirstFrame|CursorMove|SearchKeystroke)$' \
	-benchtime 20x -count 1 -timeout 60m >"$WORK/gobench-ui-frame.txt" 2>&1 || { cat "$WORK/gobench-ui-frame.txt" >&2; exit 1; }
CTITUI_BENCH_DB=$DB go test ./internal/ui -run '^$' -bench '^BenchmarkTUICursorMove$' \
	-benchtime 2000x -count 1 -timeout 60m >"$WORK/gobench-ui-move.txt" 2>&1 || { cat "$WORK/gobench-ui-move.txt" >&2; exit 1; }
CTITUI_BENCH_DB=$DB go test ./internal/ui -run '^$' -bench '^BenchmarkTUISearchKeystroke$' \
	-benchtime 18x -count 1 -timeout 60m >"$WORK/gobench-ui-search.txt" 2>&1 || { cat "$WORK/gobench-ui-search.txt" >&2; exit 1; }
# Peak memory: a process of its own for one session.
CTITUI_BENCH_DB=$DB go test ./internal/ui -run '^$' -bench '^BenchmarkTUIPeakRSS$' \
	-benchtime 1x -count 1 -timeout 60m >"$WORK/gobench-ui-rss.txt" 2>&1 || { cat "$WORK/gobench-ui-rss.txt" >&2; exit 1; }

LOAD_END=$(loadavg)
ELAPSED=$(($(date +%s) - T0))

# --- the report ----------------------------------------------------------------
log "writing $OUT"
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
SQLITE_VERSION=$(sqlite3 --version | cut -d' ' -f1-2)
HYPERFINE_VERSION=$(hyperfine --version 2>/dev/null || echo "none (timed loops)")

{
	echo "# Benchmarks"
	echo
	echo "Written by \`scripts/bench.sh $N\` on $STARTED in ${ELAPSED}s. Figures are medians."
	echo
	echo "## Machine"
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| cores | $(nproc) |"
	echo "| CPU | $CPU_MODEL |"
	echo "| memory | $MEM |"
	echo "| kernel | $(uname -r) |"
	echo "| Go | $(go version | cut -d' ' -f3-) |"
	echo "| sqlite3 shell | $SQLITE_VERSION |"
	echo "| hyperfine | $HYPERFINE_VERSION |"
	echo "| load average (1, 5, 15 min) | start $LOAD_START; end $LOAD_END |"
	echo
	echo "The load average says how many other processes wanted the $(nproc) cores while this ran."
	echo "Above $(nproc), wall times include waiting for a core: CPU times (user + system, from"
	echo "hyperfine) and ratios of CPU times are then the steadier comparison."
	echo
	echo "## Method"
	echo
	echo "- Database: \`go run ./cmd/benchdb -n $N\` — $BUILD_LINE."
	[[ -n ${BUILD_PHASES:-} ]] && echo "  Phases: $BUILD_PHASES."
	[[ -n $FTS_COMPARE ]] && echo "  The same with the search triggers dropped for the inserts and FTS5's 'rebuild' after them (\`-fts rebuild\`): $FTS_COMPARE."
	echo "  $USERS users, $DB_MIB MiB; one shared precomputed argon2id hash (a benchmark file only)."
	echo "- ctitui built with \`CGO_ENABLED=0\`. Commands timed by hyperfine without a shell (\`-N\`), output"
	echo "  to /dev/null, $RUNS runs after a warm-up (full listings $LIST_RUNS; start-up $((RUNS * 2)) after two; imports"
	echo "  $IMPORT_RUNS and $BULK_RUNS, no warm-up, each into a new file). The file stays in the page cache throughout: warm"
	echo "  reads for both tools."
	echo "- Full listings: the anchor is the sqlite3 shell running the statement a person would write, users joined"
	echo "  with user_roles and roles: \`$NORM_SQL\`. The shell also runs the statement ctitui's \`ListUsers\` runs"
	echo "  (\`internal/db/sqlite/list.go\`; roles from \`users.role_names\`, migration 11): \`$LIST_SQL\`."
	echo "  Rows written: ctitui $JSON_ROWS, sqlite3 $SQLITE_ROWS."
	echo "- Search terms: the middle user's number \`$RARE\` (one match), a surname, a non-ASCII domain part (~0.2%),"
	echo "  a domain part (~1.4%), \`example\` (everyone), two characters, \`+12\` (thousands of matches, all among"
	echo "  the oldest users: what search-as-you-type passes through on the way to \`+123456\`), and a term with no"
	echo "  match. Terms of 3+ characters walk the trigram index in rowid order, which follows created_at (migration 8);"
	echo "  shorter ones walk the listing's index testing each email. CLI: \`ctitui user list --search TERM --limit 200\`,"
	echo "  process start included. Go: \`BenchmarkSearch\` in internal/db/sqlite, \`ListUsers\` alone (10 iterations × 5 runs)."
	echo "- Import yardstick: \`BenchmarkHashAllCores\` (internal/db/sqlite) hashes with \`password.DefaultParams\` on"
	echo "  GOMAXPROCS goroutines and no database; 10,000 × its time per hash."
	echo "- TUI: Go benchmarks in internal/ui drive \`ui.New\`'s model as tea.Program does (commands on goroutines,"
	echo "  messages into Update) over the database; timers off. A cursor move includes the fetches it starts; a"
	echo "  search keystroke is timed until the first page of results is drawn. Peak RSS is VmHWM of a process"
	echo "  that ran one session (2,000 × j, 50 × PgDn, G, g, a search typed and cleared)."
	echo
	echo "## Results"
	echo
	echo "| measurement | target | measured | ratio | |"
	echo "|---|---|---|---|---|"
	cat "$ROLES_ROWS"
	[[ -f $WORK/rows-logins.md ]] && cat "$WORK/rows-logins.md"
	for i in "${!SEARCH_NAMES[@]}"; do
		n=${SEARCH_NAMES[$i]}
		cli=$(med_of "search_$n")
		q=$(gobench_metric "$WORK/gobench-db.txt" "BenchmarkSearch/$n" ms/search)
		rows=$(gobench_metric "$WORK/gobench-db.txt" "BenchmarkSearch/$n" rows)
		echo "| search \`${SEARCH_TERMS[$i]}\` ($n, $rows rows): query | < 20 ms | $q ms | | $(verdict "$q" '<' 20) |"
		echo "| search \`${SEARCH_TERMS[$i]}\`: CLI incl. start-up | < 20 ms | $(ms "$cli") ms (CPU $(ms "$(cpu_of "search_$n")") ms) | | $(verdict "$(ms "$cli")" '<' 20) |"
	done
	cat "$WORK/rows-doctor.md" "$WORK/rows-startup.md"
	if ((IMPORT_OK)); then
		imp=$(med_of import_plain)
		hashes=$(calc '%.3f' "$HASH10K * $IMPORT_USERS / 10000")
		hashes_cpu=$(calc '%.3f' "$HASH10K_CPU * $IMPORT_USERS / 10000")
		imp_cpu=$(cpu_of import_plain)
		rc=n/a
		[[ $imp_cpu != nan ]] && rc=$(calc '%.2f' "$imp_cpu / $hashes_cpu")
		echo "| import $IMPORT_USERS users, plaintext passwords ($IMPORTED imported) | ≤ 1.15× hashing alone | $(calc '%.1f' "$imp") s vs $(calc '%.1f' "$hashes") s ($IMPORT_USERS hashes on $(nproc) cores; one hash $HASH1 ms on one core); CPU $(calc '%.1f' "$imp_cpu") s vs $(calc '%.1f' "$hashes_cpu") s | **$(calc '%.2f' "$imp / $hashes")×** (CPU ${rc}×) | $(verdict "$(calc '%.4f' "$imp / $hashes")" '<=' 1.15) |"
		all=$(med_of import_all)
		echo "| import $IMPORTED_ALL users with PHC hashes | rows per second | $(calc '%.1f' "$all") s | **$(calc '%.0f' "$IMPORTED_ALL / $all") rows/s** | |"
	else
		echo "| import $IMPORT_USERS users, plaintext passwords | ≤ 1.15× hashing alone | not measured: import not available | | |"
		echo "| import $N users with PHC hashes | rows per second | not measured: import not available | | |"
	fi
	ff=$(gobench_metric "$WORK/gobench-ui-frame.txt" BenchmarkTUIFirstFrame p50-ms/frame)
	echo "| TUI first frame | < 100 ms | $ff ms (p99 $(gobench_metric "$WORK/gobench-ui-frame.txt" BenchmarkTUIFirstFrame p99-ms/frame) ms; count in the title after $(gobench_metric "$WORK/gobench-ui-frame.txt" BenchmarkTUIFirstFrame p50-ms/counted) ms) | | $(verdict "$ff" '<' 100) |"
	for k in j pgdown; do
		mv=$(gobench_metric "$WORK/gobench-ui-move.txt" "BenchmarkTUICursorMove/$k" p50-ms/move)
		echo "| TUI cursor move \`$k\` (2,000 moves) | < 16 ms | $mv ms (mean $(gobench_metric "$WORK/gobench-ui-move.txt" "BenchmarkTUICursorMove/$k" ms/move), p99 $(gobench_metric "$WORK/gobench-ui-move.txt" "BenchmarkTUICursorMove/$k" p99-ms/move), max $(gobench_metric "$WORK/gobench-ui-move.txt" "BenchmarkTUICursorMove/$k" max-ms/move) ms) | | $(verdict "$mv" '<' 16) |"
	done
	for t in surname rare-user-number unicode-domain skewed-prefix; do
		f=$WORK/gobench-ui-search.txt
		kv=$(gobench_metric "$f" "BenchmarkTUISearchKeystroke/$t" p50-ms/key)
		echo "| TUI search keystroke, $t | < 16 ms | $kv ms (mean $(gobench_metric "$f" "BenchmarkTUISearchKeystroke/$t" ms/key), p99 $(gobench_metric "$f" "BenchmarkTUISearchKeystroke/$t" p99-ms/key), max $(gobench_metric "$f" "BenchmarkTUISearchKeystroke/$t" max-ms/key) ms; count after $(gobench_metric "$f" "BenchmarkTUISearchKeystroke/$t" p50-ms/counted) ms) | | $(verdict "$kv" '<' 16) |"
	done
	rss=$(gobench_metric "$WORK/gobench-ui-rss.txt" BenchmarkTUIPeakRSS peak-rss-MB)
	echo "| TUI peak memory | < 64 MB RSS | $rss MB (Go heap in use at the end $(gobench_metric "$WORK/gobench-ui-rss.txt" BenchmarkTUIPeakRSS heap-inuse-MB) MB) | | $(verdict "$rss" '<' 64) |"
	echo
	echo "### Other database figures (Go benchmarks, internal/db/sqlite)"
	echo
	echo "| benchmark | median |"
	echo "|---|---|"
	for n in "${SEARCH_NAMES[@]}"; do
		echo "| \`CountUsers\` with search $n ($(gobench_metric "$WORK/gobench-db.txt" "BenchmarkSearchCount/$n" matches) matches) | $(gobench_metric "$WORK/gobench-db.txt" "BenchmarkSearchCount/$n" ms/count) ms |"
	done
	for n in "${SEARCH_NAMES[@]}"; do
		v=$(gobench_metric "$WORK/gobench-db.txt" "BenchmarkSearchIndexPlan/$n" ms/search)
		[[ $v == nan ]] && continue
		echo "| search $n through the trigram index whatever its matches ($(gobench_metric "$WORK/gobench-db.txt" "BenchmarkSearchIndexPlan/$n" matches) matches; \`BenchmarkSearchIndexPlan\`) | $v ms |"
	done
	echo "| \`sqlite.Open\` + \`Migrations\` + \`Close\` on the file | $(calc '%.2f' "$(gobench_metric "$WORK/gobench-db.txt" BenchmarkOpen ns/op) / 1e6") ms |"
	echo
	echo "Search as you type (\`BenchmarkSearchAsYouType\`: \`ListUsers\` for each prefix, 200 rows, ms):"
	echo
	for term in lindqvist "équipe-3." +123456; do
		line="|"
		head="|"
		sep="|"
		for ((i = 1; i <= ${#term}; i++)); do
			p=${term:0:i}
			head+=" \`$p\` |"
			sep+="---|"
			line+=" $(gobench_metric "$WORK/gobench-db.txt" "BenchmarkSearchAsYouType/$p" ms/search) |"
		done
		echo "$head"
		echo "$sep"
		echo "$line"
		echo
	done
	echo
	echo "Raw outputs: \`BENCH_KEEP=1 scripts/bench.sh\` keeps them (hyperfine JSON, \`go test -bench\` text)."
	if [[ -f $OUT ]] && grep -q '^<!-- analysis: kept by scripts/bench.sh -->' "$OUT"; then
		echo
		sed -n '/^<!-- analysis: kept by scripts\/bench.sh -->/,$p' "$OUT"
	fi
} >"$WORK/BENCHMARKS.md"
mv "$WORK/BENCHMARKS.md" "$OUT"
log "done in ${ELAPSED}s: $OUT"

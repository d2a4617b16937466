#!/usr/bin/env bash
# fuzz.sh runs every fuzz target in the module for a set time each and prints
# one summary line per target. It exits 1 if any target fails (a crash, a
# failed check, or a build error), 2 on bad usage.
#
#   scripts/fuzz.sh          # 30s per target
#   scripts/fuzz.sh 5s       # 5s per target (a bare number means seconds)
#   scripts/fuzz.sh 2m FuzzParsePHC FuzzLine   # only these targets
#
# Targets are found by looking for `func FuzzXxx(` in *_test.go files, so a
# new target is picked up without touching this script. The seed corpora
# (f.Add and testdata/fuzz) already run in every `go test`; this script
# explores beyond them. When a target fails, Go writes the failing input under
# <package>/testdata/fuzz/<Target>/; commit it to keep it as a regression seed.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2

fuzztime=${1:-30s}
if [[ $fuzztime =~ ^[0-9]+$ ]]; then
	fuzztime=${fuzztime}s
fi
if ! [[ $fuzztime =~ ^[0-9]+(ns|us|ms|s|m|h|x)$ ]]; then
	echo "usage: $0 [TIME per target, e.g. 30s, 2m, 1000x] [TARGET...]" >&2
	exit 2
fi
shift $(($# > 0 ? 1 : 0))
only=("$@")

# Every "<dir> <Target>" pair, sorted, one per line.
mapfile -t targets < <(
	grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . |
		sed -E 's#^\./(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' |
		sort -u
)
if ((${#targets[@]} == 0)); then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

logdir=$(mktemp -d "${TMPDIR:-/tmp}/ctitui-fuzz.XXXXXX")
failed=0
ran=0
for entry in "${targets[@]}"; do
	dir=${entry% *}
	name=${entry#* }
	if ((${#only[@]} > 0)); then
		match=0
		for o in "${only[@]}"; do [[ $o == "$name" ]] && match=1; done
		((match)) || continue
	fi
	ran=$((ran + 1))
	log="$logdir/$name.log"
	start=$(date +%s)
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 200x "./$dir" >"$log" 2>&1
	status=$?
	# Go's fuzzing engine minimises each new interesting input (up to 60 s
	# by default: -fuzzminimizetime 200x bounds it), counting no execs
	# meanwhile; when the time is up during it, it can end with "context
	# deadline exceeded" and no failing input: nothing failed. Run such a
	# target once more; an input that really hangs does it again.
	if ((status != 0)) && grep -q 'context deadline exceeded' "$log" && ! grep -q 'testdata/fuzz/' "$log"; then
		mv "$log" "$log.first"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 200x "./$dir" >"$log" 2>&1
		status=$?
	fi
	secs=$(($(date +%s) - start))
	# The last progress line says how much was tried.
	stats=$(grep -E '^fuzz: elapsed: .*execs:' "$log" | tail -n 1 | sed -E 's/^fuzz: elapsed: [^,]*, //; s/ \([0-9]+\/sec\)//')
	[[ -n $stats ]] || stats="no progress line"
	if ((status == 0)); then
		printf 'ok    %-28s %-22s %4ss  %s\n' "./$dir" "$name" "$secs" "$stats"
	else
		failed=$((failed + 1))
		printf 'FAIL  %-28s %-22s %4ss  %s\n' "./$dir" "$name" "$secs" "$stats"
		input=$(grep -oE 'testdata/fuzz/[^ ]+' "$log" | head -n 1)
		[[ -n $input ]] && printf '      failing input: %s/%s\n' "$dir" "$input"
		printf '      log: %s\n' "$log"
		sed -n '1,40p' "$log" | sed 's/^/      | /'
	fi
done

if ((ran == 0)); then
	echo "fuzz: no target matched ${only[*]}" >&2
	exit 2
fi
if ((failed > 0)); then
	echo "fuzz: $failed of $ran targets FAILED ($fuzztime each); logs in $logdir"
	exit 1
fi
echo "fuzz: all $ran targets ok ($fuzztime each)"
rm -rf "$logdir"

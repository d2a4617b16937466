#!/usr/bin/env bash
# release.sh builds a release of ctitui from the commit checked out (HEAD),
# for workstations that have no network:
#
#   ctitui_V_OS_ARCH.tar.gz      static binary (CGO_ENABLED=0, -trimpath) with
#   ctitui_V_windows_ARCH.zip    README.md, LICENSE and CHANGELOG.md, for
#                                linux, darwin and windows on amd64 and arm64
#   ctitui_V_OS_ARCH.cdx.json    CycloneDX SBOM of what that binary is built
#                                from (cyclonedx-gomod, pinned below)
#   ctitui_V_source.tar.gz       the commit's tree (git archive) with vendor/:
#                                builds with no network and no module cache
#   SHA256SUMS                   of every file above
#
# usage: scripts/release.sh VERSION [--quick] [--allow-dirty]
#
# VERSION is v1.2.3 or 1.2.3 (a pre-release such as 1.2.3-rc.1 too); the
# binaries report v1.2.3, the file names carry 1.2.3. The artifacts go to
# $DIST (default: dist/ in the checkout, which git ignores); an earlier
# release there is replaced, anything else there is refused.
#
# --quick builds two targets (linux/amd64 and windows/amd64, plus the host if
# it is neither) instead of six, and skips nothing else: CI runs it.
# --allow-dirty builds even when the tree has uncommitted changes. What is
# built is always HEAD's tree, from git archive, never the files on disk, so
# a dirty tree cannot leak into a release; without this flag it is refused,
# because whoever runs the script most likely meant to release those changes.
#
# Every binary is built from the source archive's own tree, offline, with
# its version stamped by -ldflags -X: version, commit, commit date and build
# date. The build date is $SOURCE_DATE_EPOCH if set, else the commit's date,
# so that the same commit always gives the same bytes. The last step checks
# the release as someone receiving it would: SHA256SUMS, the archives'
# contents, then the source archive unpacked and built for this machine with
# the network off (where the kernel lets an unprivileged process do that:
# unshare -rn), GOPROXY=off and an empty module cache: once without -ldflags,
# whose `ctitui --version` must still name the commit (git archive wrote it
# into cmd/ctitui/archive.go), and once as the release was built, which must
# report the release's version and equal the shipped binary byte for byte.
#
# Needs: go (the version go.mod names or newer; GOTOOLCHAIN=local, so the Go
# that builds is the Go the binaries report), git, GNU tar, gzip, zip and
# unzip, sha256sum. The SBOM generator and the modules come from the module
# proxy or the module cache on the machine that builds the release; go.mod
# and go.sum are not changed (the generator is installed into a temporary
# directory with `go install module@version`, not required by the module).
set -euo pipefail

sbom_tool=github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0
all_targets="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"
quick_targets="linux/amd64 windows/amd64"

usage() {
	[ $# -eq 0 ] || echo "release: $*" >&2
	echo "usage: scripts/release.sh VERSION [--quick] [--allow-dirty]   (VERSION: v1.2.3 or 1.2.3; DIST=dir for the output)" >&2
	exit 2
}
die() {
	echo "release: $*" >&2
	exit 1
}
log() { echo "release: [$(($(date +%s) - start))s] $*"; }

start=$(date +%s)
version='' quick=false allow_dirty=false
for arg in "$@"; do
	case $arg in
	--quick) quick=true ;;
	--allow-dirty) allow_dirty=true ;;
	-h | --help) usage ;;
	-*) usage "unknown option $arg" ;;
	*)
		[ -z "$version" ] || usage "one VERSION only; got $version and $arg"
		version=$arg
		;;
	esac
done
[ -n "$version" ] || usage "VERSION is missing"
semver='^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
[[ $version =~ $semver ]] || usage "VERSION must look like v1.2.3 or 1.2.3 (or 1.2.3-rc.1); got \"$version\""
num=${version#v}
tag=v$num

cd "$(dirname "$0")/.."
repo=$(pwd)

for tool in go git tar gzip zip unzip sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is needed and not installed"
done
tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar is needed (its --sort and --mtime make the archives reproducible)"

# Nothing from the caller's environment chooses the target or the flags: each
# command below says what it builds for.
unset GOOS GOARCH GOARM GOAMD64 GOARM64 GOEXPERIMENT CGO_ENABLED GOFLAGS
export GOTOOLCHAIN=local GOWORK=off

git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$repo is not a git checkout: a release is built from a commit"
commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain)" ]; then
	$allow_dirty || die "the tree has uncommitted changes (git status): commit them, or pass --allow-dirty to build HEAD ($commit) without them"
	log "the tree has uncommitted changes; they are not in this build, which is HEAD ($commit)"
fi
if tagged=$(git rev-parse -q --verify "refs/tags/$tag^{commit}"); then
	[ "$tagged" = "$commit" ] || die "tag $tag is commit $tagged, not HEAD ($commit): check out $tag to release it"
fi

commit_epoch=$(git log -1 --format=%ct "$commit")
epoch=${SOURCE_DATE_EPOCH:-$commit_epoch}
[[ $epoch =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH must be a number of seconds since 1970; got \"$epoch\""
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$1" +%Y-%m-%dT%H:%M:%SZ; }
commit_date=$(utc "$commit_epoch")
build_date=$(utc "$epoch")

host=$(go env GOHOSTOS)/$(go env GOHOSTARCH)
targets=$all_targets
if $quick; then
	targets=$quick_targets
	case " $targets " in *" $host "*) ;; *) targets="$targets $host" ;; esac
fi

dist=${DIST:-$repo/dist}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
for f in "$dist"/* "$dist"/.[!.]*; do
	[ -e "$f" ] || continue
	case ${f##*/} in
	ctitui_* | SHA256SUMS) ;;
	*) die "$dist holds ${f##*/}, which is not from a release: set DIST to an empty or new directory" ;;
	esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ctitui-release.XXXXXX")
# The module cache's files are read-only; rm needs them writable.
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
out=$work/out
mkdir -p "$out" "$work/stage"

log "ctitui $tag from $commit ($commit_date), built $build_date with $(go env GOVERSION); targets: $targets"

# The source archive: the commit's tree and the modules it builds with.
srcdir=ctitui-$num
src=$work/src/$srcdir
mkdir -p "$work/src"
git archive --format=tar --prefix="$srcdir/" "$commit" | tar -x -C "$work/src"
for f in README.md LICENSE CHANGELOG.md go.mod go.sum; do
	[ -f "$src/$f" ] || die "$f is not in commit $commit; every release ships it"
done
log "vendoring the modules"
# GOFLAGS is set (not empty) so that a -mod in the go env file cannot apply.
(cd "$src" && GOFLAGS=-buildvcs=false go mod verify >/dev/null && GOFLAGS=-buildvcs=false go mod vendor)
[ -f "$src/vendor/modules.txt" ] || die "go mod vendor wrote no vendor/modules.txt"

# pack_tar DIR NAME OUT: a tar.gz of DIR/NAME whose bytes depend only on the
# files' contents and modes: sorted names, one time, no owner, no gzip name.
pack_tar() {
	tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --mode='a+rX,u+w,go-w' \
		-C "$1" -cf - "$2" | gzip -n >"$3"
}
log "source archive"
pack_tar "$work/src" "$srcdir" "$out/ctitui_${num}_source.tar.gz"

# Every binary is built from that tree, offline, so that the source archive
# builds exactly what is shipped.
ldflags="-s -w -X main.buildVersion=$tag -X main.buildCommit=$commit -X main.buildCommitDate=$commit_date -X main.buildDate=$build_date"
# build OS ARCH OUT [DIR]: builds ctitui from DIR (default the source tree)
# with the module cache replaced by an empty one and the proxy off.
build() {
	local cache
	cache=$(mktemp -d "$work/modcache.XXXXXX")
	(cd "${4:-$src}" && env CGO_ENABLED=0 GOOS="$1" GOARCH="$2" GOAMD64=v1 GOARM64=v8.0 \
		GOFLAGS='-mod=vendor -buildvcs=false' GOPROXY=off GOMODCACHE="$cache" \
		go build -trimpath -ldflags="$ldflags" -o "$3" ./cmd/ctitui)
}

for target in $targets; do
	os=${target%/*} arch=${target#*/}
	base=ctitui_${num}_${os}_${arch}
	dir=$work/stage/$base
	exe=ctitui
	[ "$os" = windows ] && exe=ctitui.exe
	log "building $target"
	mkdir -p "$dir"
	build "$os" "$arch" "$dir/$exe"
	cp "$src/README.md" "$src/LICENSE" "$src/CHANGELOG.md" "$dir/"
	chmod 0755 "$dir" "$dir/$exe"
	chmod 0644 "$dir/README.md" "$dir/LICENSE" "$dir/CHANGELOG.md"
	if [ "$os" = windows ]; then
		touch -d "@$epoch" "$dir"/*
		# -X leaves out the owner and extra times; zip writes local times.
		(cd "$work/stage" && TZ=UTC zip -q -X -D -9 "$out/$base.zip" \
			"$base/CHANGELOG.md" "$base/LICENSE" "$base/README.md" "$base/$exe")
	else
		pack_tar "$work/stage" "$base" "$out/$base.tar.gz"
	fi
done

# The SBOM: cyclonedx-gomod reads the module graph of a git checkout (for
# the modules' hashes, which a vendored tree cannot give), once per target
# because build constraints choose the modules. A private clone of the
# commit is tagged $tag so that the SBOM names the release's version; the
# checkout's own tags are not touched. The tool is installed for this
# machine (go run would build it for GOOS/GOARCH, the target) into $work.
# Without a random serial number and the time of the run, an SBOM is the
# same at every run, as the archives are, and so is SHA256SUMS.
log "SBOM ($sbom_tool)"
# A local clone links every object of the checkout's store, so HEAD is
# there even when no branch holds it (go-git reads no alternates: --shared
# would not do).
git clone -q --no-checkout "$repo" "$work/sbom"
git -C "$work/sbom" -c advice.detachedHead=false checkout -q "$commit"
git -C "$work/sbom" tag -f "$tag" "$commit" >/dev/null
GOBIN=$work/bin GOFLAGS=-buildvcs=false go install "$sbom_tool"
for target in $targets; do
	os=${target%/*} arch=${target#*/}
	(cd "$work/sbom" && CI=true CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" GOFLAGS=-mod=readonly \
		"$work/bin/cyclonedx-gomod" app -json -licenses -noserial -notimestamp -main cmd/ctitui \
		-output "$out/ctitui_${num}_${os}_${arch}.cdx.json" . 2>"$work/sbom.log") ||
		{ cat "$work/sbom.log" >&2; die "cyclonedx-gomod failed for $target"; }
	grep -q '"specVersion"' "$out/ctitui_${num}_${os}_${arch}.cdx.json" || die "the SBOM for $target is not CycloneDX JSON"
done

(cd "$out" && sha256sum -- ctitui_* >SHA256SUMS)

# verify: the release as its receiver sees it.
log "verify: every archive lists its files; SHA256SUMS matches"
(cd "$out" && sha256sum --quiet -c SHA256SUMS)
for f in "$out"/ctitui_*_*_*.tar.gz; do
	case $f in *_source.tar.gz) continue ;; esac
	[ "$(tar -tzf "$f" | grep -v '/$' | sed 's|^[^/]*/||' | sort | tr '\n' ' ')" = "CHANGELOG.md LICENSE README.md ctitui " ] || die "${f##*/} does not hold exactly ctitui, README.md, LICENSE and CHANGELOG.md"
done
for f in "$out"/ctitui_*_windows_*.zip; do
	[ -e "$f" ] || continue
	unzip -tq "$f" >/dev/null || die "${f##*/} is not a sound zip"
	[ "$(unzip -Z1 "$f" | sed 's|^[^/]*/||' | sort | tr '\n' ' ')" = "CHANGELOG.md LICENSE README.md ctitui.exe " ] || die "${f##*/} does not hold exactly ctitui.exe, README.md, LICENSE and CHANGELOG.md"
done

log "verify: the source archive builds offline for $host"
v=$work/verify
mkdir -p "$v"
tar -xzf "$out/ctitui_${num}_source.tar.gz" -C "$v"
hexe=ctitui
[ "${host%/*}" = windows ] && hexe=ctitui.exe
offline=()
network="GOPROXY=off and an empty module cache"
if command -v unshare >/dev/null 2>&1 && unshare -rn true 2>/dev/null; then
	offline=(unshare -rn)
	network="no network (unshare -rn), $network"
fi
# offline_build OUT [GO BUILD FLAGS]: go build in the unpacked source archive,
# cut off from the network and from every module cache.
offline_build() {
	local out=$1 cache
	shift
	cache=$(mktemp -d "$work/modcache.XXXXXX")
	(cd "$v/$srcdir" && "${offline[@]}" env CGO_ENABLED=0 GOAMD64=v1 GOARM64=v8.0 \
		GOFLAGS='-mod=vendor -buildvcs=false' GOPROXY=off GOMODCACHE="$cache" \
		go build "$@" -o "$out" ./cmd/ctitui) ||
		die "the source archive does not build with $network"
	[ -z "$(find "$cache" -mindepth 1 -print -quit)" ] || die "the offline build put files in its empty module cache, $cache"
}
# As a person would build it, without -ldflags: the commit and its date come
# from what git archive wrote into cmd/ctitui/archive.go.
offline_build "$v/plain-$hexe" -trimpath
"$v/plain-$hexe" --version >"$v/plain.txt" || die "ctitui --version, built from the source archive, failed"
grep -q "^commit:  $commit " "$v/plain.txt" || die "ctitui --version, built from the source archive with no flags, does not name commit $commit: $(sed -n 2p "$v/plain.txt")"
# As the release was built: the same binary, bit for bit.
offline_build "$v/$hexe" -trimpath -ldflags="$ldflags"
"$v/$hexe" --version >"$v/version.txt" || die "ctitui --version, built from the source archive, failed"
sed 's/^/  /' "$v/version.txt"
[ "$(head -1 "$v/version.txt")" = "ctitui $tag" ] || die "ctitui --version says \"$(head -1 "$v/version.txt")\"; want \"ctitui $tag\""
grep -q "^commit:  $commit " "$v/version.txt" || die "ctitui --version does not name commit $commit"
log "verify: built with $network"
case " $targets " in
*" $host "*)
	hbase=ctitui_${num}_${host%/*}_${host#*/}
	mkdir -p "$v/shipped"
	if [ "${host%/*}" = windows ]; then
		(cd "$v/shipped" && unzip -q "$out/$hbase.zip")
	else
		tar -xzf "$out/$hbase.tar.gz" -C "$v/shipped"
	fi
	"$v/shipped/$hbase/$hexe" --version | cmp -s - "$v/version.txt" || die "the shipped $hbase reports another version than the source archive's build"
	cmp -s "$v/shipped/$hbase/$hexe" "$v/$hexe" || die "the source archive does not rebuild the shipped $hbase bit for bit"
	log "verify: the source archive rebuilds the shipped $hbase/$hexe bit for bit"
	;;
*) log "verify: $host is not among the targets; the shipped binaries were not compared" ;;
esac

# The new release replaces an earlier one in $DIST only now that it is whole.
rm -f "$dist"/ctitui_* "$dist/SHA256SUMS"
mv "$out"/* "$dist/"
log "$tag in $dist ($(($(date +%s) - start))s):"
(cd "$dist" && for f in ctitui_* SHA256SUMS; do printf '  %10s  %s\n' "$(wc -c <"$f" | tr -d ' ')" "$f"; done)

# Shared helpers for CLI tests: sourced by every tests/cli/*.sh.
# Each test prints "ok - NAME" or "not ok - NAME" (TAP style) and the runner counts them.
# Every test works in its own short temporary directory under /tmp (gpg-agent sockets
# need short paths), and every gpg-agent it started is stopped on exit.
set -u
: "${SIX_BIN:?run through tests/run or make check}"
: "${SIX_TOP:?}"
PATH="$SIX_BIN:$PATH"
export PATH
T=$(mktemp -d /tmp/six.XXXXXX)
unset SIX_HOME GNUPGHOME
_homes=()

cleanup() {
	local h
	# homes are usually made inside $(...), a subshell: find them on disk, not in _homes
	for h in "${_homes[@]}" "$T"/*/ "$T"/*/*/; do
		[ -d "$h/gnupg" ] && gpgconf --homedir "$h/gnupg" --kill all >/dev/null 2>&1
	done
	# xferd daemons or relays a test left behind
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }

# check NAME CMD...: the command must succeed
check() {
	local name=$1; shift
	if "$@" >"$T/.out" 2>"$T/.err"; then ok "$name"; else
		notok "$name"; echo "# exit $?: $(head -c 600 "$T/.err")"; fi
}

# expect_fail NAME STATUS PATTERN CMD...: the command must exit STATUS with exactly one
# line on stderr, starting with the tool's name and matching the extended regex PATTERN.
expect_fail() {
	local name=$1 want=$2 pat=$3; shift 3
	"$@" >"$T/.out" 2>"$T/.err"
	local rc=$? lines
	lines=$(wc -l <"$T/.err")
	local tool
	tool=$(basename "$1")
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -qE "^$tool: " "$T/.err" &&
		grep -qE -- "$pat" "$T/.err"; then
		ok "$name"
	else
		notok "$name"
		echo "# want exit $want matching /$pat/, got exit $rc: $(head -c 600 "$T/.err")"
	fi
}

# newhome NAME: path of a fresh, uninitialised home under $T (remembered for cleanup)
newhome() {
	local h=$T/$1
	_homes+=("$h")
	echo "$h"
}

# inithome NAME: an initialised home; prints its path
inithome() {
	local h
	h=$(newhome "$1")
	six-keyring --home "$h" init >/dev/null || return 1
	echo "$h"
}

# tree_sum DIR: one digest of every path, mode and content below DIR (to prove "unchanged")
tree_sum() {
	(cd "$1" && find . -path ./gnupg/S.\* -prune -o -print0 | LC_ALL=C sort -z |
		xargs -0 -r stat -c '%n %a %s %Y' && find . -type f ! -name 'S.*' ! -name '*.lock' \
		! -name random_seed -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum
}

# heavy: true when the slow, GiB-sized tests should run (not under sanitizers)
heavy() { [ "${SIX_SANITIZED:-0}" = 0 ]; }

# free_udp_port: a UDP port on 127.0.0.1 nobody listens on right now
free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

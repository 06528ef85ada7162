# shellcheck shell=bash
# Helpers for the black-box contract tests (tests/cli/contract_*.sh), sourced after
# tests/cli/lib.sh. They expect only what DESIGN.md's FIXED parts promise (plus exit
# code numbers documented in MANUAL.md 6.1), never what the sources happen to do.
CT=$SIX_TOP/tests/contract

# fail_codes NAME "CODES" CMD...: the command must fail with one of CODES (space
# separated; "any" = any non-zero), exactly one stderr line starting with the tool's
# name, and print nothing on stdout.
fail_codes() {
	local name=$1 codes=$2 rc tool lines
	shift 2
	"$@" >"$T/.out" 2>"$T/.err" </dev/null
	rc=$?
	tool=$(basename "$1")
	[ "$tool" = timeout ] && tool=$(basename "$3")
	lines=$(wc -l <"$T/.err")
	if [ "$rc" -ne 0 ] && { [ "$codes" = any ] || [[ " $codes " == *" $rc "* ]]; } &&
		[ "$lines" -eq 1 ] && grep -q "^$tool: " "$T/.err" && [ ! -s "$T/.out" ]; then
		ok "$name"
	else
		notok "$name"
		echo "# want exit in {$codes}, one stderr line '$tool: ...', empty stdout;" \
			"got exit $rc, $lines stderr lines: $(head -c 400 "$T/.err" | tr '\n' '|')" \
			"stdout: $(head -c 200 "$T/.out" | tr '\n' '|')"
	fi
}

# is_fpr STRING: 40 hex digits
is_fpr() { [[ $1 =~ ^[0-9A-Fa-f]{40}$ ]]; }
upper() { printf '%s' "$1" | tr a-f A-F; }

# genkey HOME NAME: generate a key without a terminal or passphrase option; prints fpr
genkey() {
	six-keyring --home "$1" generate --name "$2" --email "$2@example.org" \
		</dev/null 2>>"$T/.genkey.err"
}

# listing DIR: every path below DIR (to prove "nothing new")
listing() { (cd "$1" 2>/dev/null && find . | LC_ALL=C sort); }
count_entries() { find "$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# setup_pair: sender home S (key FS) and receiver home R (key FR); S has R's public
# key (six-keyring import), R has enrolled S for party NLD. Only contract commands.
setup_pair() {
	S=$(newhome s) R=$(newhome r)
	_homes+=("$S" "$R")
	six-keyring --home "$S" init >/dev/null && six-keyring --home "$R" init >/dev/null || return 1
	FS=$(genkey "$S" sender) && FR=$(genkey "$R" receiver) || return 1
	six-keyring --home "$S" export "$FS" >"$T/s.asc" &&
		six-keyring --home "$R" export "$FR" >"$T/r.asc" || return 1
	six-keyring --home "$S" import "$T/r.asc" >/dev/null || return 1
	six-keyring --home "$R" enroll "$T/s.asc" --party NLD >/dev/null || return 1
	is_fpr "$FS" && is_fpr "$FR"
}

# mkb CASE OUT SEQ [mkbundle.py options]: a hand-made bundle from S to R (defaults)
mkb() {
	local c=$1 out=$2 seq=$3
	shift 3
	python3 "$CT/mkbundle.py" --case "$c" --gnupg "$S/gnupg" --signer "$FS" --sender "$FS" \
		--recipient "$FR" --encrypt-to "$FR" --party NLD --seq "$seq" --out "$out" "$@"
}

# payload_of DIR PATH: the delivered file for manifest path PATH in a delivered
# bundle directory (DESIGN: "the files under it"; formats/bundle.md: payload/<path>)
payload_of() {
	if [ -e "$1/payload/$2" ]; then echo "$1/payload/$2"; else echo "$1/$2"; fi
}

# same_tree EXPECT DELIVERED: every file under EXPECT is byte-identical in DELIVERED
# (payload/ layout), and DELIVERED's payload holds no other file
same_tree() {
	local e=$1 d=$2 f n=0 m
	while IFS= read -r -d '' f; do
		cmp -s "$e/$f" "$(payload_of "$d" "$f")" || { echo "# differs: $f"; return 1; }
		n=$((n + 1))
	done < <(cd "$e" && find . -type f -printf '%P\0')
	if [ -d "$d/payload" ]; then m=$(find "$d/payload" -type f | wc -l); else
		m=$(find "$d" -type f ! -name 'SIX-*' | wc -l); fi
	[ "$n" -eq "$m" ] || { echo "# $n files expected, $m delivered"; return 1; }
}

# wait_udp PORT...: wait (up to 10 s) until something listens on each 127.0.0.1:PORT
wait_udp() {
	local p i
	for p in "$@"; do
		for i in $(seq 1 100); do
			ss -Hln -u "src 127.0.0.1:$p" 2>/dev/null | grep -q . && break
			sleep 0.1
		done
	done
}

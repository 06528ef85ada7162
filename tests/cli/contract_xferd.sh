#!/usr/bin/env bash
# Black-box acceptance test of six-xferd (issue 3 "Done when"), driving only the
# command lines of DESIGN.md's FIXED interface contract: send/recv over real UDP on
# 127.0.0.1, directly and through an independent lossy relay (tests/contract/relay.py),
# and the removable-media export/import round trip.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/contract/lib.sh"

X=six-xferd
$X --help >/dev/null 2>&1 && ok "six-xferd --help exits 0" || notok "six-xferd --help exits 0"
v=$($X --version 2>/dev/null) && [[ $v == "six-xferd "* ]] && ok "six-xferd --version: $v" ||
	notok "six-xferd --version: '$v'"

spool() { mkdir -p "$1/tmp" "$1/new" "$1/cur"; }

# fill DIR SIZE...: NLD-<i>-abc.six files of random bytes, sizes as given (bytes)
fill() {
	local d=$1 i=0 s
	shift
	for s in "$@"; do
		i=$((i + 1))
		head -c "$s" /dev/urandom >"$d/NLD-$i-abc$i.six"
	done
}

# arrived NAME SRC IN: every file of SRC is in IN/new, byte-identical, and nothing else
arrived() {
	local name=$1 src=$2 in=$3 f n=0 bad=""
	for f in "$src"/*; do
		n=$((n + 1))
		cmp -s "$f" "$in/new/$(basename "$f")" || bad="$bad $(basename "$f")"
	done
	if [ -z "$bad" ] && [ "$(ls -A "$in/new" | wc -l)" -eq "$n" ]; then
		ok "$name: all $n files arrived under their names, byte-identical, once"
	else
		notok "$name: missing or different:$bad; in new/: $(ls -A "$in/new" | tr '\n' ' ')"
	fi
}

# link NAME SRC [relay options | -] [send options]: send every file of SRC through
# the link (directly when the relay options are "-"), check the result
link() {
	local name=$1 src=$2 relayopts=$3 d=$T/$4 rp sp tp rpid relpid rc rrc
	shift 4
	rm -rf "$d" && spool "$d/out" && spool "$d/in"
	cp -p "$src"/* "$d/out/new/"
	rp=$(free_udp_port)
	tp=$rp
	timeout 150 $X recv --listen 127.0.0.1:$rp --inbox "$d/in" --once >"$d/recv.out" 2>"$d/recv.err" &
	rpid=$!
	if [ "$relayopts" != - ]; then
		sp=$(free_udp_port)
		tp=$sp
		python3 "$CT/relay.py" --listen $sp --to $rp $relayopts --idle 3 --max-wait 140 2>"$d/relay.err" &
		relpid=$!
	fi
	wait_udp $rp ${sp:-}
	local t0=$(date +%s.%N)
	timeout 150 $X send --outbox "$d/out" --to 127.0.0.1:$tp --once "$@" >"$d/send.out" 2>"$d/send.err"
	rc=$?
	SEND_SECS=$(echo "$(date +%s.%N) - $t0" | bc)
	wait $rpid
	rrc=$?
	[ -n "${relpid:-}" ] && wait "$relpid"
	[ $rc -eq 0 ] && ok "$name: send --once exits 0" || notok "$name: send exit $rc: $(head -c 300 "$d/send.err")"
	[ $rrc -eq 0 ] && ok "$name: recv --once exits 0 by itself" || notok "$name: recv exit $rrc: $(tail -c 300 "$d/recv.err")"
	arrived "$name" "$src" "$d/in"
	[ -z "$(ls -A "$d/out/new")" ] && [ "$(ls -A "$d/out/cur" | wc -l)" -eq "$(ls -A "$src" | wc -l)" ] &&
		ok "$name: the sender moved its files to cur/" ||
		notok "$name: sender spool: new/ $(ls -A "$d/out/new" | tr '\n' ' ') cur/ $(ls -A "$d/out/cur" | wc -l)"
	[ -n "${relpid:-}" ] && echo "# $name: $(cat "$d/relay.err")"
	return 0
}

# ---- direct link: sizes 0, 1, 1500, 1 MiB, 20 MiB (2 MiB under sanitizers) ----
mkdir -p "$T/src1" "$T/src2"
if heavy; then big=$((20 << 20)); else big=$((2 << 20)); fi
fill "$T/src1" 0 1 1500 $((1 << 20)) $big
link "direct" "$T/src1" - direct

# ---- lossy links: 5% i.i.d., and bursts of 50; --redundancy 25 --passes 3 --rate 10M ----
fill "$T/src2" 0 1 1500 $((1 << 20))
link "5% loss" "$T/src2" "--loss 0.05 --seed 7" loss5 --redundancy 25 --passes 3 --rate 10M
link "bursts of 50 lost" "$T/src2" "--burst 100:50:1000" burst --redundancy 25 --passes 3 --rate 10M

# ---- a relay that leaves its socket buffer at the kernel's default (about 200 KiB):
# at a set rate the sender spreads its datagrams, so one pass loses none to overflow ----
mkdir -p "$T/src5"
head -c 5000000 /dev/urandom >"$T/src5/NLD-6-small-buffer.six"
link "a relay with the default socket buffer, 50M, one pass" "$T/src5" "--rcvbuf 0" smallbuf \
	--rate 50M --passes 1
fwd=$(sed -n 's/.*received \([0-9]*\) dropped.*/\1/p' "$T/smallbuf/relay.err")
sent=$(grep -o 'datagrams sent [0-9]*' "$T/smallbuf/send.err" | tail -n1 | cut -d' ' -f3)
[ -n "$fwd" ] && [ -n "$sent" ] && [ "$fwd" -eq "$sent" ] &&
	ok "the small-buffer relay received every datagram sent ($fwd of $sent)" ||
	notok "the small-buffer relay received ${fwd:-?} of ${sent:-?} datagrams"

# ---- the defaults (--rate 100M, 3 passes, 25%) through 5% loss and a relay with the
# kernel's default socket buffer, as a plain test relay would be ----
mkdir -p "$T/src6"
fill "$T/src6" 0 1500 $((1 << 20)) $big
link "defaults through 5% loss and a default-buffer relay" "$T/src6" \
	"--rcvbuf 0 --loss 0.05 --seed 11" defaults

# ---- --rate is bytes per second: 2 MB at --rate 2M, one pass, takes about a second ----
mkdir -p "$T/src4"
head -c 2000000 /dev/urandom >"$T/src4/OPCW-1-rate.six"
link "rate 2M" "$T/src4" - rate --rate 2M --passes 1
[ "$(echo "$SEND_SECS >= 0.8 && $SEND_SECS < 20" | bc)" = 1 ] &&
	ok "--rate 2M: 2 MB took ${SEND_SECS}s (at least 0.8s)" || notok "--rate 2M: 2 MB took ${SEND_SECS}s"

# ---- a link too lossy for the redundancy: recv --once gives up by itself, says so ----
d=$T/lost
spool "$d/out" && spool "$d/in"
head -c 1000000 /dev/urandom >"$d/out/new/NLD-5-lost.six"
rp=$(free_udp_port) sp=$(free_udp_port)
timeout 100 $X recv --listen 127.0.0.1:$rp --inbox "$d/in" --once >/dev/null 2>"$d/recv.err" &
rpid=$!
python3 "$CT/relay.py" --listen $sp --to $rp --loss 0.6 --seed 3 --idle 3 --max-wait 90 2>/dev/null &
relpid=$!
wait_udp $rp $sp
timeout 60 $X send --outbox "$d/out" --to 127.0.0.1:$sp --once --passes 1 >/dev/null 2>&1
wait $rpid
rc=$?
wait $relpid
[ $rc -eq 79 ] && [ -z "$(ls -A "$d/in/new")" ] &&
	ok "60% loss, 1 pass: recv --once exits by itself with 79 (lost), nothing in new/" ||
	notok "60% loss: recv exit $rc, new/: $(ls -A "$d/in/new" | tr '\n' ' ')"
grep -q '^six-xferd.*NLD-5-lost.six' "$d/recv.err" &&
	ok "lost file: an error line starting with 'six-xferd' names it" ||
	notok "lost file: no stderr line starting with 'six-xferd' names it (contract: errors start with the tool's name): $(grep -m1 'NLD-5-lost' "$d/recv.err" | head -c 200)"

# ---- names that must not be delivered as such ----
mkdir -p "$T/src3"
head -c 100 /dev/urandom >"$T/src3/NLD-9-good.six"
d=$T/names
spool "$d/out" && spool "$d/in"
cp "$T/src3/NLD-9-good.six" "$d/out/new/"
head -c 100 /dev/urandom >"$d/out/new/.hidden.six"
head -c 100 /dev/urandom >"$d/out/new/$(printf 'ctl\001\033x.six')"
rp=$(free_udp_port)
timeout 60 $X recv --listen 127.0.0.1:$rp --inbox "$d/in" --once >/dev/null 2>"$d/recv.err" &
rpid=$!
wait_udp $rp
timeout 60 $X send --outbox "$d/out" --to 127.0.0.1:$rp --once --rate 0 >/dev/null 2>"$d/send.err"
wait $rpid
cmp -s "$T/src3/NLD-9-good.six" "$d/in/new/NLD-9-good.six" && ok "names (--rate 0): a good name beside bad ones arrives" ||
	notok "names: the good file did not arrive: $(ls -A "$d/in/new" | tr '\n' ' ')"
bad=$(ls -A "$d/in/new" | LC_ALL=C grep -E '^\.|[[:cntrl:]]')
[ -z "$bad" ] && ok "names: no leading-dot or control-character name delivered" ||
	notok "names: delivered as such: $(printf '%q ' $bad)"

# ---- send --once with an empty outbox: nothing to do, done ----
spool "$T/emptyout"
timeout 30 $X send --outbox "$T/emptyout" --to "127.0.0.1:$(free_udp_port)" --once >/dev/null 2>"$T/e.err"
rc=$?
[ $rc -eq 0 ] && ok "send --once with an empty outbox exits 0" || notok "send --once, empty outbox: exit $rc: $(head -c 200 "$T/e.err")"

# ---- --rate syntax ----
fail_codes "send --rate nonsense is a usage error (64)" 64 $X send --outbox "$d/out" --to 127.0.0.1:9 --rate 10Q --once
fail_codes "send without --to is a usage error (64)" 64 $X send --outbox "$d/out" --once
fail_codes "recv with a bad --listen is a usage error (64)" 64 $X recv --listen 127.0.0.1:notaport --inbox "$d/in" --once
fail_codes "send from a missing outbox fails (66)" 66 $X send --outbox "$T/nosuch" --to 127.0.0.1:9 --once
fail_codes "unknown subcommand (64)" 64 $X frobnicate

# ---- removable media: export, import ----
SP=$T/mspool
spool "$SP"
fill "$SP/new" 10 5000 100000
mkdir -p "$T/msrc" && cp -p "$SP"/new/* "$T/msrc/"
MD=$T/media
mkdir "$MD"
$X export --outbox "$SP" --media "$MD" >"$T/exp.out" 2>"$T/exp.err"
rc=$?
[ $rc -eq 0 ] && [ -s "$T/exp.out" ] && ok "export exits 0 and prints a cover sheet" ||
	notok "export: exit $rc: $(head -c 300 "$T/exp.err")"
[ -z "$(ls -A "$SP/new")" ] && [ "$(ls -A "$SP/cur" | wc -l)" -eq 3 ] && ok "export moved the bundles to cur/" ||
	notok "export spool: new/ $(ls -A "$SP/new" | tr '\n' ' ')"
SP2=$T/mspool2
spool "$SP2"
$X import --media "$MD" --inbox "$SP2" >"$T/imp.out" 2>"$T/imp.err"
rc=$?
[ $rc -eq 0 ] && ok "import exits 0" || notok "import: exit $rc: $(head -c 300 "$T/imp.err")"
arrived "media round trip" "$T/msrc" "$SP2"
$X import --media "$MD" --inbox "$SP2" >/dev/null 2>&1 && [ "$(ls -A "$SP2/new" | wc -l)" -eq 3 ] &&
	ok "importing the same medium again delivers nothing twice" || notok "second import"

# a tampered file on the medium is refused by name, nothing imported
SP3=$T/mspool3 MD2=$T/media2 SP4=$T/mspool4
spool "$SP3" && spool "$SP4" && mkdir "$MD2"
fill "$SP3/new" 2000 3000
$X export --outbox "$SP3" --media "$MD2" >/dev/null 2>&1 || notok "second export"
victim=NLD-2-abc2.six
printf 'X' | dd of="$MD2/$victim" bs=1 seek=1500 conv=notrunc status=none
$X import --media "$MD2" --inbox "$SP4" >"$T/imp2.out" 2>"$T/imp2.err"
rc=$?
[ $rc -ne 0 ] && grep -q "$victim" "$T/imp2.err" && [ -z "$(ls -A "$SP4/new")" ] &&
	! grep -qv '^six-xferd: ' "$T/imp2.err" &&
	ok "tampered medium: refused (exit $rc), the file named, nothing imported" ||
	notok "tampered medium: exit $rc, new/: $(ls -A "$SP4/new" | tr '\n' ' '), stderr: $(head -c 300 "$T/imp2.err" | tr '\n' '|')"
[ "$(wc -l <"$T/imp2.err")" -eq 1 ] && ok "tampered medium: one stderr line (contract: errors are one line)" ||
	notok "tampered medium: $(wc -l <"$T/imp2.err") stderr lines; DESIGN: 'errors to stderr, one line'"
head -c 10 /dev/urandom >"$SP/new/NLD-7-more.six"
fail_codes "export to a medium that is not empty (68)" 68 $X export --outbox "$SP" --media "$MD"

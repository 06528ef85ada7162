#!/usr/bin/env bash
# six-unpack under kill -9, several instances on one spool, and --watch: every bundle
# is delivered exactly once, never half; a killed run's bundle is delivered by the
# next; the staging area is swept.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/hostile/bundles/lib.sh"

unpack_setup || { notok "setup: homes and keys"; exit 1; }

# complete DIR SRC: DIR holds exactly the delivered bundle of file big.bin = SRC
complete() {
	[ -s "$1/SIX-MANIFEST" ] && [ -s "$1/SIX-VERIFIED" ] && cmp -s "$1/payload/big.bin" "$2"
}

# ---- kill -9 at increasing delays, then run again ----
head -c $((8 << 20)) /dev/urandom >"$T/big.bin"
# how long one run takes here, to spread the kills over all of it
mk timing --file big.bin=@"$T/big.bin"
t0=$(date +%s%N)
$U --home "$R" "$T/timing.six" >/dev/null 2>&1
dur=$((($(date +%s%N) - t0) / 1000))	# microseconds
bad=""
for k in 1 2 3 4 5 6 7 8 9 10; do
	delay=$(printf '%d.%06d' $((dur * k / 5 / 1000000)) $((dur * k / 5 % 1000000)))
	mk "k$delay" --file big.bin=@"$T/big.bin"
	(timeout -s KILL "$delay" $U --home "$R" "$T/k$delay.six" >/dev/null 2>&1; true) 2>/dev/null
	id=$(tar -xzOf "$T/k$delay.tgz" SIX-MANIFEST | sed -n 's/^Bundle-Id: //p')
	n=$(find "$R/inbox" -mindepth 2 -maxdepth 2 -name "*-$id" | wc -l)
	d=$(find "$R/inbox" -mindepth 2 -maxdepth 2 -name "*-$id")
	# after the kill: nothing, or the whole bundle
	if [ "$n" -gt 1 ] || { [ "$n" -eq 1 ] && ! complete "$d" "$T/big.bin"; }; then
		bad="$bad partial@$delay"
	fi
	$U --home "$R" "$T/k$delay.six" >/dev/null 2>"$T/rerun.err"
	rc=$?
	# the rerun delivers it (0), or finds it delivered by the killed run (26)
	if [ $rc -ne 0 ] && { [ $rc -ne 26 ] || [ "$n" -ne 1 ]; }; then
		bad="$bad rerun@$delay:$rc:$(head -c 100 "$T/rerun.err")"
	fi
	d=$(find "$R/inbox" -mindepth 2 -maxdepth 2 -name "*-$id")
	[ "$(echo "$d" | grep -c .)" -eq 1 ] && complete "$d" "$T/big.bin" || bad="$bad once@$delay"
	[ -z "$(ls -A "$R/state/staging")" ] || bad="$bad staging@$delay"
	echo "# kill after ${delay}s: $n delivered before the rerun, rerun exit $rc"
done
[ -z "$bad" ] && ok "kill -9 at 10 points (0.2 to 2 times a run): never half delivered; the rerun delivers exactly once" ||
	{ notok "kill -9 at 10 points (0.2 to 2 times a run): never half delivered; the rerun delivers exactly once"; echo "# $bad"; }
pending=$(grep -rl '^pending' "$R/state/seen" 2>/dev/null | wc -l)
[ "$pending" -eq 0 ] && ok "no pending seen-set records left" ||
	notok "no pending seen-set records left ($pending)"

# ---- two instances on one spool of 20 bundles ----
SP=$T/spool
mkdir -p "$SP/tmp" "$SP/new" "$SP/cur"
before=$(inbox_count)
for i in $(seq 1 20); do
	mk "sp$i" --file "n$i.txt=bundle $i"
	cp "$T/sp$i.six" "$SP/tmp/b$i.six" && mv "$SP/tmp/b$i.six" "$SP/new/b$i.six"
done
mk sp_evil --evil dotdot
cp "$T/sp_evil.six" "$SP/new/zz-evil.six"
$U --home "$R" --spool "$SP" >"$T/sp1.out" 2>"$T/sp1.err" &
p1=$!
$U --home "$R" --spool "$SP" >"$T/sp2.out" 2>"$T/sp2.err" &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
printed=$(cat "$T/sp1.out" "$T/sp2.out" | wc -l)
uniq=$(cat "$T/sp1.out" "$T/sp2.out" | sort -u | wc -l)
[ "$(inbox_count)" -eq $((before + 20)) ] && [ "$printed" -eq 20 ] && [ "$uniq" -eq 20 ] &&
	ok "two spool runs: 20 bundles delivered exactly once" ||
	{ notok "two spool runs: 20 bundles delivered exactly once"; echo "# inbox +$(($(inbox_count) - before)) printed $printed"; }
[ -z "$(ls -A "$SP/new")" ] && [ "$(ls "$SP/cur" | wc -l)" -eq 21 ] &&
	ok "every bundle moved to cur/, the refused one too" || notok "every bundle moved to cur/, the refused one too"
refusals=$(cat "$T/sp1.err" "$T/sp2.err" | grep -c "(unsafe)")
[ "$refusals" -eq 1 ] && { [ $r1 -eq 28 ] || [ $r2 -eq 28 ]; } && [ $((r1 * r2)) -eq 0 ] &&
	grep -rqx "class: unsafe" "$R"/quarantine/*/reason &&
	ok "the hostile bundle: refused once, quarantined, exit 28 from the run that met it" ||
	{ notok "the hostile bundle: refused once, quarantined, exit 28 from the run that met it"; echo "# r1=$r1 r2=$r2 refusals=$refusals"; }
# what a writer that died left in tmp/: swept after Maildir's 36 hours, not before
: >"$SP/tmp/dead-writer" && touch -d '40 hours ago' "$SP/tmp/dead-writer"
: >"$SP/tmp/live-writer" && touch -d '1 hour ago' "$SP/tmp/live-writer"
check "an empty spool: exit 0" $U --home "$R" --spool "$SP"
check "the spool run swept tmp/ of a file untouched for 40 hours, kept one of 1 hour" \
	test ! -e "$SP/tmp/dead-writer" -a -e "$SP/tmp/live-writer"
# a symbolic link in new/ is never followed: refused, audited, moved to cur/
ln -s /etc/passwd "$SP/new/link.six"
expect_fail "a symlink in new/: refused, not followed" 28 "link.six: new/link.six is not a regular file" \
	$U --home "$R" --spool "$SP"
[ -L "$SP/cur/link.six" ] && tail -1 "$R/audit/audit.log" | grep -q '"event":"rejected".*"class":"unsafe"' &&
	ok "the symlink moved to cur/ and audited" || notok "the symlink moved to cur/ and audited"
mkdir -p "$T/notspool"
expect_fail "a directory that is not a spool" 78 "not a spool" $U --home "$R" --spool "$T/notspool"

# ---- --watch ----
$U --home "$R" --spool "$SP" --watch >"$T/watch.out" 2>"$T/watch.err" &
pw=$!
sleep 0.5
mk w1 --file watched.txt=hello
cp "$T/w1.six" "$SP/tmp/w1.six" && mv "$SP/tmp/w1.six" "$SP/new/w1.six"
for _ in $(seq 1 100); do
	[ -s "$T/watch.out" ] && break
	sleep 0.1
done
grep -q "$R/inbox/NLD/" "$T/watch.out" && [ -e "$SP/cur/w1.six" ] &&
	ok "--watch delivers a bundle dropped into new/" || notok "--watch delivers a bundle dropped into new/"
kill -TERM $pw
for _ in $(seq 1 50); do kill -0 $pw 2>/dev/null || break; sleep 0.1; done
if kill -0 $pw 2>/dev/null; then
	notok "--watch stops on SIGTERM"
	kill -KILL $pw
else
	wait $pw
	rw=$?
	[ $rw -eq 0 ] && ok "--watch stops on SIGTERM, exit 0" || notok "--watch stops on SIGTERM, exit 0 (got $rw)"
fi

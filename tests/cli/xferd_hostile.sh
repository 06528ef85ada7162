#!/usr/bin/env bash
# six-xferd recv against crafted datagrams (tests/hostile/datagrams, sent by
# tests/tools/dgram_forge): every malformed one is dropped and counted by reason,
# conflicting metadata is refused, a forged digest is caught, names with paths never
# become files, the receiver survives and still receives a real transfer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xferd.bash"

corpus=$SIX_TOP/tests/hostile/datagrams
forge=$SIX_TESTBIN/dgram_forge
mkdir -p "$T/box"
mkspool "$T/box/out"
randfile "$T/box/out/new/real.six" 500000
cp "$T/box/out/new/real.six" "$T/real.orig"
touch "$T/marker"
sleep 0.01
start_recv "$T/box/in" "$T/recv.log" || notok "receiver starts"
"$forge" send 127.0.0.1:$RECV_PORT "$corpus"/reject-*.bin
"$forge" send 127.0.0.1:$RECV_PORT "$corpus"/state-*.bin
six-xferd send --outbox "$T/box/out" --to 127.0.0.1:$RECV_PORT --rate 100M --passes 1 --once 2>"$T/send.log"
sleep 1.5 # past the grace before files are judged lost
check "the receiver survived every datagram" kill -0 "$RECV_PID"
kill -USR1 "$RECV_PID"
sleep 0.5
kill -TERM "$RECV_PID"
wait_for "$RECV_PID" 10
check "and stops cleanly on SIGTERM" test $? -eq 0

# Each reason counted at least as often as the corpus holds datagrams refused for it.
for why in short magic version crc type length range name; do
	want=$(ls "$corpus"/reject-$why-*.bin | wc -l)
	got=$(counter "$T/recv.log" "$why")
	check "reject-$why: $want crafted datagrams dropped and counted ($got)" test "${got:-0}" -eq "$want"
done
check "conflicting metadata (size, name, digest, geometry) refused: 4" test "$(counter "$T/recv.log" conflict)" -eq 4
check "the forged file with consistent metadata is delivered as announced" sh -c 'printf "%0100d" 0 | tr 0 a | cmp -s - "$1"' sh "$T/box/in/new/forged-a.six"
check "a file whose data does not match its SHA-256 is not delivered" test ! -e "$T/box/in/new/forged-b.six"
check "the digest mismatch is logged and counted" test "$(counter "$T/recv.log" bad-sha256)" -eq 1 -a "$(grep -c 'SHA-256 mismatch' "$T/recv.log")" -eq 1
check "a forged heartbeat claiming 4 billion finished files: one line, not billions" test "$(grep -c ' lost: ' "$T/recv.log")" -le 4100 -a "$(grep -c ' lost: files 1 to ' "$T/recv.log")" -eq 1
check "the real transfer arrived intact among them" cmp -s "$T/real.orig" "$T/box/in/new/real.six"
check "nothing but those two files in new/" test "$(ls "$T/box/in/new" | wc -l)" -eq 2
check "nothing left in tmp/" test -z "$(ls -A "$T/box/in/tmp")"
check "no file named by a hostile datagram exists anywhere" test -z "$(find "$T" /tmp/etc -name passwd -o -name '.hidden' -o -name 'a?b.six' 2>/dev/null)"
# Outside the inbox, nothing new or changed but the logs (the sent file moved to cur/
# by rename, which keeps its time).
check "nothing was written outside the inbox" test -z "$(find "$T" -newer "$T/marker" -type f ! -path "$T/box/in/*" ! -name '*.log' ! -name '.out' ! -name '.err')"

# A file announced and never completed (no heartbeat ever judges it): removed from
# tmp/ after the partial timeout.
start_recv "$T/p/in" "$T/p.log" --partial-timeout 1 || notok "receiver starts"
"$forge" send 127.0.0.1:$RECV_PORT "$corpus"/state-1-meta-a.bin
sleep 0.4
check "an announced file waits in tmp/" sh -c 'ls "$1" | grep -q "\.xferd-part$"' sh "$T/p/in/tmp"
sleep 1.8
check "after --partial-timeout it is removed from tmp/" test -z "$(ls -A "$T/p/in/tmp")"
check "and the removal is logged" grep -q "discarding partial file 1 (forged-a.six): nothing arrived for 1 s" "$T/p.log"
kill -TERM "$RECV_PID"
wait_for "$RECV_PID" 10

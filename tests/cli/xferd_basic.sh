#!/usr/bin/env bash
# six-xferd send/recv over a clean 127.0.0.1 link: the command line, files from 0
# bytes to a few MB byte-identical, exactly once, the carousel's spool discipline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xferd.bash"

check "send --help teaches the synopsis" sh -c 'six-xferd send --help | grep -q -- "--redundancy PCT"'
check "recv --help teaches the synopsis" sh -c 'six-xferd recv --help | grep -q -- "--listen HOST:PORT"'
check "six-xferd --help names every subcommand" sh -c 'six-xferd --help | grep -q "export --outbox"'
check "--version" sh -c 'six-xferd --version | grep -qx "six-xferd 1.0.0"'
expect_fail "no subcommand is a usage error" 64 "missing subcommand" six-xferd
expect_fail "unknown subcommand" 64 "unknown subcommand 'fly'" six-xferd fly
expect_fail "send without --to" 64 "needs --outbox SPOOL and --to" six-xferd send --outbox "$T/o"
expect_fail "bad --rate" 64 "bad --rate '10X'" six-xferd send --outbox "$T/o" --to 127.0.0.1:9 --rate 10X
expect_fail "bad --redundancy" 64 "redundancy wants 0 to 100" six-xferd send --outbox "$T/o" --to 127.0.0.1:9 --redundancy 101
expect_fail "bad address" 64 "want HOST:PORT" six-xferd recv --listen nowhere --inbox "$T/i"
expect_fail "missing outbox" 66 "cannot open directory .*none" six-xferd send --outbox "$T/none" --to 127.0.0.1:9 --once
expect_fail "--home before the subcommand is accepted" 66 "cannot open directory .*none" six-xferd --home "$T/h" send --outbox "$T/none" --to 127.0.0.1:9 --once
expect_fail "--home after it too" 66 "cannot open directory .*none" six-xferd send --home "$T/h" --outbox "$T/none" --to 127.0.0.1:9 --once
mkspool "$T/busy"
start_recv "$T/busy" "$T/busy.log" || notok "a receiver starts"
expect_fail "a second receiver on one inbox is refused" 75 "another six-xferd recv is using" \
	six-xferd recv --listen 127.0.0.1:$((RECV_PORT + 1000)) --inbox "$T/busy"
expect_fail "a port in use cannot be bound: exit 73" 73 "cannot listen on 127.0.0.1:$RECV_PORT" \
	six-xferd recv --listen 127.0.0.1:$RECV_PORT --inbox "$T/other"
kill -TERM "$RECV_PID"
wait_for "$RECV_PID" 10

# Files at every edge of the geometry: empty, one byte, one symbol, one group + 1 byte.
out=$T/out in=$T/in
mkspool "$out"
: >"$out/new/empty.six"
randfile "$out/new/one.six" 1
randfile "$out/new/sym.six" 1428
randfile "$out/new/group.six" $((1428 * 64 + 1))
randfile "$out/new/big.six" 3000000
cp -a "$out/new" "$T/orig"
: >"$out/tmp/dead-writer" && touch -d '40 hours ago' "$out/tmp/dead-writer"
: >"$out/tmp/live-writer"
start_recv "$in" "$T/recv.log" --once || notok "receiver starts"
six-xferd send --outbox "$out" --to 127.0.0.1:$RECV_PORT --rate 200M --passes 2 --once \
	2>"$T/send.log"
check "send --once exits 0" test $? -eq 0
wait_for "$RECV_PID" 30
check "recv --once exits 0 when everything arrived" test $? -eq 0
check "every file arrives byte-identical, under its name" same_files "$T/orig" "$in/new"
check "nothing left in the inbox tmp/" test -z "$(ls -A "$in/tmp")"
check "the outbox new/ is empty after the last pass" test -z "$(ls -A "$out/new")"
check "the files moved to the outbox cur/" same_files "$T/orig" "$out/cur"
check "the sender swept the outbox tmp/ of a file untouched for 36 hours, and said so" \
	test ! -e "$out/tmp/dead-writer" -a -e "$out/tmp/live-writer" -a \
	"$(grep -c 'removed 1 file(s) untouched for 36 hours from the outbox tmp/' "$T/send.log")" -eq 1
rm -f "$out/tmp/live-writer"
check "the receiver logged each file once" test "$(grep -c ' received ' "$T/recv.log")" -eq 5
check "log lines carry a UTC timestamp" grep -qE '^six-xferd: 20[0-9-]+T[0-9:.]+Z recv: link up' "$T/recv.log"
check "the receiver reports its socket buffer" grep -qE 'socket receive buffer|capped the socket' "$T/recv.log"
check "at 200M the sender sends bursts of half a millisecond: 67 datagrams" \
	grep -q "rate 200000000 B/s (burst 67), 1472-byte datagrams" "$T/send.log"

# The same files again (a sender restarted before moving them): delivered once only.
cp -a "$T/orig/." "$out/new/"
start_recv "$in" "$T/recv2.log" --once || notok "receiver restarts"
six-xferd send --outbox "$out" --to 127.0.0.1:$RECV_PORT --rate 200M --passes 1 --once \
	2>"$T/send2.log"
wait_for "$RECV_PID" 30
check "a file already delivered is not delivered again" grep -q -E "big.six \(file [0-9]+\) was delivered before: ignored" "$T/recv2.log"
check "inbox still holds exactly one copy of each" same_files "$T/orig" "$in/new"

# IPv6: the same link over ::1, addresses written as --listen and --to take them.
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
	mkspool "$T/o6"
	randfile "$T/o6/new/v6.six" 500000
	p6=$((_port + 100))
	six-xferd recv --listen "[::1]:$p6" --inbox "$T/i6" --once 2>"$T/recv6.log" &
	r6=$!
	sleep 0.3
	six-xferd send --outbox "$T/o6" --to "[::1]:$p6" --rate 200M --passes 1 --once \
		2>"$T/send6.log"
	wait_for "$r6" 30
	check "over IPv6 (::1) the file arrives" cmp -s "$T/o6/cur/v6.six" "$T/i6/new/v6.six"
	check "the log writes the IPv6 address in brackets" \
		grep -q "recv: listening on \[::1\]:$p6, inbox" "$T/recv6.log"
else
	echo "ok - IPv6 # SKIP no ::1 on lo"
fi

# --rate is a token bucket: 2 MB at 2M takes about a second (1 pass + 25% parity).
mkspool "$T/o3"
randfile "$T/o3/new/r.six" 2000000
start_recv "$T/i3" "$T/recv3.log" --once
t0=$(date +%s%N)
six-xferd send --outbox "$T/o3" --to 127.0.0.1:$RECV_PORT --rate 2M --passes 1 --once 2>"$T/send3.log"
ms=$((($(date +%s%N) - t0) / 1000000))
wait_for "$RECV_PID" 30
check "--rate 2M holds 2.5 MB on the wire to over a second (took ${ms} ms)" test "$ms" -ge 1000 -a "$ms" -le 10000
check "the rate-limited file arrives" cmp -s "$T/o3/cur/r.six" "$T/i3/new/r.six"
check "at 2M, a burst is one datagram" grep -q "rate 2000000 B/s (burst 1)," "$T/send3.log"

# SIGUSR1: the receiver logs its counters and goes on.
start_recv "$T/i4" "$T/recv4.log"
kill -USR1 "$RECV_PID"
sleep 0.3
check "SIGUSR1 logs the counters" grep -q "counters: datagrams received=0" "$T/recv4.log"
kill -TERM "$RECV_PID"
wait_for "$RECV_PID" 10
check "SIGTERM stops the receiver with status 0" test $? -eq 0

# The sender hands the kernel runs of datagrams in one message (UDP segmentation
# offload). A route that refuses it (here, in a network namespace of its own, a
# loopback MTU below the datagram size) costs nothing but speed: the sender falls back
# to one datagram per message, which IP fragmentation carries.
if unshare -n true 2>/dev/null; then
	mkspool "$T/o5"
	randfile "$T/o5/new/f.six" 700000
	cp "$T/o5/new/f.six" "$T/f5"
	unshare -n bash -c "ip link set lo up && ip link set lo mtu 1400 &&
		{ six-xferd recv --listen 127.0.0.1:4000 --inbox '$T/i5' --once --link-timeout 2 \
			2>'$T/recv5.log' & } && sleep 0.5 &&
		six-xferd send --outbox '$T/o5' --to 127.0.0.1:4000 --passes 1 --once \
			2>'$T/send5.log'; wait"
	check "the sender says the offload was refused, once" \
		test "$(grep -c 'segmentation offload refused' "$T/send5.log")" -eq 1
	check "and the file still arrives, byte-identical" cmp -s "$T/f5" "$T/i5/new/f.six"
	check "an ordinary route takes the offload: no such line there" \
		sh -c "! grep -q 'offload refused' '$T/send.log' '$T/send2.log'"
else
	ok "offload fallback # SKIP no network namespace here (unshare -n needs root)"
fi

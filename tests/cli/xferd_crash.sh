#!/usr/bin/env bash
# six-xferd across crashes and signals: a receiver killed with -9 mid-transfer and
# restarted completes the file from later passes; SIGTERM leaves nothing half-written
# in new/; the sender moves a file to cur/ only after its last pass, and a restarted
# sender sends again what it had not finished.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xferd.bash"

# recv_on PORT INBOX LOG [OPTION...]: a receiver on a given port (the sender aims there),
# retried while the killed one's socket is released
recv_on() {
	local port=$1 inbox=$2 log=$3 i
	shift 3
	for i in $(seq 20); do
		six-xferd recv --listen 127.0.0.1:$port --inbox "$inbox" "$@" 2>"$log" &
		RECV_PID=$!
		sleep 0.2
		kill -0 "$RECV_PID" 2>/dev/null && return 0
	done
	return 1
}

# A: kill -9 of the receiver mid-transfer. 6 MB at 6M: passes of about 1.3 s.
mkspool "$T/a/out"
randfile "$T/a/out/new/a.six" 6000000
cp "$T/a/out/new/a.six" "$T/a.orig"
start_recv "$T/a/in" "$T/a/recv1.log" || notok "receiver starts"
port=$RECV_PORT
six-xferd send --outbox "$T/a/out" --to 127.0.0.1:$port --rate 6M --passes 3 --once 2>"$T/a/send.log" &
send_pid=$!
# mid-transfer: the receiver's partial file has appeared (however loaded the machine)
for i in $(seq 100); do
	ls "$T/a/in/tmp" 2>/dev/null | grep -q "\.xferd-part$" && break
	sleep 0.05
done
sleep 0.2
check "mid-pass, the file is still in the outbox new/" test -f "$T/a/out/new/a.six"
check "mid-pass, nothing is in the outbox cur/" test -z "$(ls -A "$T/a/out/cur")"
check "mid-transfer, the receiver holds a partial file in tmp/" sh -c 'ls "$1" | grep -q "\.xferd-part$"' sh "$T/a/in/tmp"
check "nothing partial is in new/" test -z "$(ls -A "$T/a/in/new")"
kill -9 "$RECV_PID"
wait "$RECV_PID" 2>/dev/null
recv_on "$port" "$T/a/in" "$T/a/recv2.log" --once || notok "the receiver restarts on its port"
wait_for "$send_pid" 30
check "the sender finishes its passes" test $? -eq 0
wait_for "$RECV_PID" 30
check "the restarted receiver exits 0" test $? -eq 0
check "it removed the partial file the killed one left" grep -q "removed 1 partial file" "$T/a/recv2.log"
check "the file completes from later passes, intact" cmp -s "$T/a.orig" "$T/a/in/new/a.six"
check "after its last pass the file is in the outbox cur/" test -f "$T/a/out/cur/a.six" -a ! -e "$T/a/out/new/a.six"
check "the inbox tmp/ is empty" test -z "$(ls -A "$T/a/in/tmp")"

# B: SIGTERM to the receiver and to the sender mid-transfer.
mkspool "$T/b/out"
randfile "$T/b/out/new/b.six" 6000000
cp "$T/b/out/new/b.six" "$T/b.orig"
start_recv "$T/b/in" "$T/b/recv1.log" || notok "receiver starts"
six-xferd send --outbox "$T/b/out" --to 127.0.0.1:$RECV_PORT --rate 6M --passes 3 2>"$T/b/send1.log" &
send_pid=$!
for i in $(seq 100); do
	ls "$T/b/in/tmp" 2>/dev/null | grep -q "\.xferd-part$" && break
	sleep 0.05
done
sleep 0.2
kill -TERM "$RECV_PID"
wait_for "$RECV_PID" 10
check "SIGTERM: the receiver exits 0" test $? -eq 0
check "SIGTERM: nothing half-written in new/" test -z "$(ls -A "$T/b/in/new")"
check "SIGTERM: its partial file is removed from tmp/" test -z "$(ls -A "$T/b/in/tmp")"
check "SIGTERM: it logs why it stopped" grep -q "stopping (signal)" "$T/b/recv1.log"
kill -TERM "$send_pid"
wait_for "$send_pid" 10
check "SIGTERM: the sender exits 0" test $? -eq 0
check "an unfinished file stays in the outbox new/" test -f "$T/b/out/new/b.six" -a -z "$(ls -A "$T/b/out/cur")"
start_recv "$T/b/in" "$T/b/recv2.log" --once || notok "receiver starts again"
six-xferd send --outbox "$T/b/out" --to 127.0.0.1:$RECV_PORT --rate 100M --passes 1 --once 2>"$T/b/send2.log"
wait_for "$RECV_PID" 30
check "a restarted sender sends it again, and it arrives intact" cmp -s "$T/b.orig" "$T/b/in/new/b.six"

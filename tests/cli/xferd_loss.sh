#!/usr/bin/env bash
# six-xferd through a damaged link (tests/tools/lossy_relay, seeded): random loss,
# bursts, corruption, truncation, duplicates, reordering and a blackout are repaired
# by the parity and the passes; a file that cannot complete is reported lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xferd.bash"

# through NAME PASSES SEND-OPTIONS -- RELAY-OPTIONS: one 3 MB file through the relay
through() {
	local name=$1 passes=$2 sopts=() ropts=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sopts+=("$1"); shift; done
	shift
	ropts=("$@")
	mkspool "$T/$name/out"
	randfile "$T/$name/out/new/$name.six" 3000000
	cp "$T/$name/out/new/$name.six" "$T/$name/orig"
	start_recv "$T/$name/in" "$T/$name/recv.log" --once --link-timeout 1 || return 1
	start_relay "$RECV_PORT" "$T/$name/relay.log" "${ropts[@]}" || return 1
	six-xferd send --outbox "$T/$name/out" --to 127.0.0.1:$RELAY_PORT --passes "$passes" \
		--once "${sopts[@]}" 2>"$T/$name/send.log"
	wait_for "$RECV_PID" 60
	local rc=$?
	kill "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	return $rc
}

through loss5 1 --rate 100M -- --seed 1 --drop 5
check "5% random loss, one pass: recv exits 0" test $? -eq 0
check "5% random loss, one pass: the file arrives intact" cmp -s "$T/loss5/orig" "$T/loss5/in/new/loss5.six"
check "the relay did drop datagrams" grep -qE "dropped=[1-9][0-9]{2,}" "$T/loss5/relay.log"

through burst 1 --rate 100M -- --seed 2 --burst 50 --burst-every 400
check "bursts of 50 lost datagrams, one pass: the file arrives intact" cmp -s "$T/burst/orig" "$T/burst/in/new/burst.six"

through dirty 2 --rate 100M -- --seed 3 --corrupt 2 --truncate 1 --dup 3 --reorder 5 --drop 1
check "corruption, truncation, duplicates, reordering: the file arrives intact" cmp -s "$T/dirty/orig" "$T/dirty/in/new/dirty.six"
bad=$(($(counter "$T/dirty/recv.log" crc) + $(counter "$T/dirty/recv.log" short)))
damaged=$(($(grep -o 'corrupted=[0-9]*' "$T/dirty/relay.log" | cut -d= -f2) + $(grep -o 'truncated=[0-9]*' "$T/dirty/relay.log" | cut -d= -f2)))
check "every corrupted or truncated datagram was refused ($bad >= $damaged > 0)" test "$damaged" -gt 0 -a "$bad" -ge "$damaged"
check "a file that arrived is delivered once" test "$(grep -c ' received ' "$T/dirty/recv.log")" -eq 1

# 3 MB at 3M (+25% parity) is a pass of about 1.3 s; the link goes dark for 2 s from
# 0.5 s on, swallowing the end of pass 1 and most of pass 2.
through blackout 4 --rate 3M -- --seed 4 --blackout 2 --blackout-after 0.5
check "a 2-second blackout: the file arrives from later passes" cmp -s "$T/blackout/orig" "$T/blackout/in/new/blackout.six"
check "the receiver logged link down" grep -q "link down: no datagram for 1 s" "$T/blackout/recv.log"
check "and link up again" test "$(grep -c 'link up' "$T/blackout/recv.log")" -ge 2

# Nothing but metadata and heartbeats get through: the file cannot complete.
through lost 2 --rate 100M -- --drop-symbols
check "a file that cannot complete: recv --once exits 79" test $? -eq 79
check "it is reported lost, by name" grep -q "lost: file 1 (lost.six)" "$T/lost/recv.log"
check "the lost file is counted" test "$(counter "$T/lost/recv.log" lost)" -eq 1
check "nothing half-written is left in the inbox" test -z "$(find "$T/lost/in" -type f ! -name .xferd-recv.lock)"
check "the sender still moved it to cur/ after its passes (the operator resends)" test -f "$T/lost/out/cur/lost.six"

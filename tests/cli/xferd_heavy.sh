#!/usr/bin/env bash
# six-xferd with a 256 MiB file (plain phase only: `heavy`): byte-identical over a
# clean link at full speed, with the receiver's memory bounded whatever the file size.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xferd.bash"

if ! heavy; then
	ok "256 MiB transfer (skipped under sanitizers)"
	exit 0
fi
mkspool "$T/out"
randfile "$T/out/new/big.six" $((256 * 1048576))
sum=$(sha256sum <"$T/out/new/big.six")
RECV_WRAP="/usr/bin/time -f %M -o $T/rrss" start_recv "$T/in" "$T/recv.log" --once --max-memory 16M ||
	notok "receiver starts"
/usr/bin/time -f "%M" -o "$T/rss" six-xferd send --outbox "$T/out" --to 127.0.0.1:$RECV_PORT \
	--rate 0 --passes 3 --once 2>"$T/send.log"
wait_for "$RECV_PID" 120
check "256 MiB through a clean link: recv exits 0" test $? -eq 0
check "256 MiB arrive byte-identical" test "$(sha256sum <"$T/in/new/big.six")" = "$sum"
check "delivered once" test "$(grep -c ' received big.six' "$T/recv.log")" -eq 1
check "the receiver's memory stays bounded (max RSS $(cat "$T/rrss") KiB < 64 MiB)" test "$(cat "$T/rrss")" -lt 65536
check "the sender's memory stays small (max RSS $(cat "$T/rss") KiB < 64 MiB)" test "$(cat "$T/rss")" -lt 65536

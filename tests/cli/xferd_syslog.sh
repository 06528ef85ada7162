#!/usr/bin/env bash
# six-xferd's log priorities. Under systemd without --syslog, stderr is the journal and
# each line carries a <N> prefix. With --syslog, both daemons log to syslog (facility
# daemon, ident six-xferd with its pid) and nothing to stderr. Either way a warning
# (here: the socket buffer capped, with CAP_NET_ADMIN dropped) goes out at the warning
# priority, the rest at info. The syslog part runs in a private mount namespace whose
# /dev holds its own /dev/log, so the host's syslog is neither needed nor touched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xferd.bash"

# stderr is the journal when JOURNAL_STREAM names it: each line carries its priority
# as a <N> prefix, and no timestamp of its own (journald stamps it).
jlog() { setpriv --inh-caps=-net_admin --bounding-set=-net_admin six-xferd recv \
	--listen 127.0.0.1:$1 --inbox "$T/jin" 2>>"$2" & sleep 0.5; kill $!; wait $! 2>/dev/null; }
: >"$T/journal.log"
p1=$(free_udp_port)
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal.log") jlog "$p1" "$T/journal.log"
check "stderr that is the journal: info lines start <6>, without a timestamp" \
	grep -qx "<6>recv: listening on 127.0.0.1:$p1, inbox .*" "$T/journal.log"
if [ "$(sysctl -n net.core.rmem_max)" -lt $((128 << 20)) ]; then
	check "stderr that is the journal: a warning starts <4>" \
		grep -q '^<4>recv: the kernel capped the socket receive buffer' "$T/journal.log"
fi
: >"$T/other.log"
p2=$(free_udp_port)
JOURNAL_STREAM=1:1 jlog "$p2" "$T/other.log"
check "JOURNAL_STREAM naming another stream changes nothing" \
	grep -qE "^six-xferd: 20[0-9-]+T[0-9:.]+Z recv: listening on 127.0.0.1:$p2" "$T/other.log"

if ! unshare -m --propagation private true 2>/dev/null; then
	echo "ok - six-xferd --syslog # SKIP no mount namespace here"
	exit 0
fi

mkspool "$T/out"
randfile "$T/out/new/f.six" 300000
cp "$T/out/new/f.six" "$T/orig"
port=$(free_udp_port)

cat >"$T/inner.sh" <<'EOF'
set -u
mount -t tmpfs -o mode=0755 six-dev /dev || exit 90
for n in "null 3" "zero 5" "random 8" "urandom 9"; do
	set -- $n
	mknod -m 0666 "/dev/$1" c 1 "$2"
done
# a syslog daemon of our own: every message received on /dev/log, one per line
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
out = open(sys.argv[1], "a", buffering=1)
while True:
    out.write(s.recv(65536).decode("utf-8", "replace").rstrip("\n") + "\n")
' "$T/syslog.txt" &
sink=$!
for i in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
	six-xferd recv --listen 127.0.0.1:$PORT --inbox "$T/in" --once --link-timeout 2 --syslog \
	2>"$T/recv.err" &
rpid=$!
for i in $(seq 100); do grep -q "recv: listening on" "$T/syslog.txt" 2>/dev/null && break; sleep 0.05; done
six-xferd send --outbox "$T/out" --to 127.0.0.1:$PORT --passes 1 --once --syslog 2>"$T/send.err"
echo $? >"$T/send.rc"
wait $rpid
echo $? >"$T/recv.rc"
kill $sink
EOF
T=$T PORT=$port timeout 60 unshare -m --propagation private bash "$T/inner.sh"
check "the namespace with its own /dev/log was set up" test $? -ne 90
check "send --syslog exits 0" test "$(cat "$T/send.rc" 2>/dev/null)" = 0
check "recv --syslog exits 0" test "$(cat "$T/recv.rc" 2>/dev/null)" = 0
check "the file arrived" cmp -s "$T/orig" "$T/in/new/f.six"
check "nothing on stderr from either side" test ! -s "$T/recv.err" -a ! -s "$T/send.err"
# <30> is daemon.info, <28> daemon.warning (RFC 3164: facility 3 * 8 + severity)
check "recv logs to syslog as six-xferd[pid], daemon.info" \
	grep -qE '^<30>.* six-xferd\[[0-9]+\]: recv: received f\.six \(300000 bytes' "$T/syslog.txt"
check "send logs to syslog as six-xferd[pid], daemon.info" \
	grep -qE '^<30>.* six-xferd\[[0-9]+\]: send: sent f\.six \(300000 bytes' "$T/syslog.txt"
check "link up is logged" grep -qE '^<30>.* recv: link up$' "$T/syslog.txt"
if [ "$(sysctl -n net.core.rmem_max)" -lt $((128 << 20)) ]; then
	check "a warning (the socket buffer capped) goes out as daemon.warning" \
		grep -qE '^<28>.* six-xferd\[[0-9]+\]: recv: the kernel capped the socket receive buffer' "$T/syslog.txt"
else
	echo "ok - daemon.warning # SKIP net.core.rmem_max already allows 128 MiB"
fi

# Helpers for the six-xferd diode tests (tests/cli/xferd*.sh source it after lib.sh).
# Every daemon runs in the background with a bounded lifetime; ports are picked from
# the test's pid, and a receiver that cannot bind tries the next one.

# mkspool DIR: an empty Maildir spool
mkspool() { mkdir -p "$1/tmp" "$1/new" "$1/cur"; }

# randfile PATH BYTES: a file of random bytes
randfile() { head -c "$2" /dev/urandom >"$1"; }

_port=$((20000 + ($$ * 13) % 30000))

# start_recv INBOX LOG [OPTION...]: a receiver in the background (RECV_PID, RECV_PORT);
# RECV_WRAP (a command prefix, e.g. /usr/bin/time) runs it under another program
start_recv() {
	local inbox=$1 log=$2 try
	shift 2
	for try in 1 2 3 4 5 6 7 8; do
		_port=$((_port + 1))
		${RECV_WRAP:-} six-xferd recv --listen 127.0.0.1:$_port --inbox "$inbox" "$@" 2>"$log" &
		RECV_PID=$!
		RECV_PORT=$_port
		local i
		for i in $(seq 50); do
			grep -q "listening on" "$log" 2>/dev/null && return 0
			kill -0 "$RECV_PID" 2>/dev/null || break
			sleep 0.05
		done
		wait "$RECV_PID" 2>/dev/null
	done
	return 1
}

# start_relay TO_PORT LOG [OPTION...]: a lossy relay to 127.0.0.1:TO_PORT (RELAY_PID,
# RELAY_PORT)
start_relay() {
	local to=$1 log=$2 i
	shift 2
	"$SIX_TESTBIN/lossy_relay" --to 127.0.0.1:$to --idle-exit 5 --lifetime 120 "$@" \
		>"$log.port" 2>"$log" &
	RELAY_PID=$!
	for i in $(seq 50); do
		[ -s "$log.port" ] && break
		sleep 0.05
	done
	RELAY_PORT=$(head -n1 "$log.port")
	[ -n "$RELAY_PORT" ]
}

# wait_for PID SECONDS: wait for a background job; its exit status, or 124 after
# killing it when it outlives SECONDS
wait_for() {
	local pid=$1 n=$(($2 * 10))
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

# same_files A B: every file of A/ is in B/ with the same bytes, and nothing else
same_files() {
	local f n=0
	for f in "$1"/*; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$2/$(basename "$f")" || { echo "# differs: $(basename "$f")"; return 1; }
		n=$((n + 1))
	done
	[ "$(ls -A "$2" | wc -l)" -eq "$n" ] || { echo "# extra files in $2: $(ls -A "$2")"; return 1; }
}

# counter LOG NAME: the last value of NAME=N in the receiver's counters lines
counter() { grep -o " $2=[0-9]*" "$1" | tail -n1 | cut -d= -f2; }

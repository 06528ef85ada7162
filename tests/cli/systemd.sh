#!/usr/bin/env bash
# scripts/systemd/: the units carry the hardening they promise, agree with the
# environment file and with the tools' own options, and systemd itself (when
# systemd-analyze is installed) accepts them and rates their exposure low.
. "$(dirname "$0")/lib.sh"

D=$SIX_TOP/scripts/systemd
env=$D/xferd.env
units=(six-xferd-send six-xferd-recv six-unpack)

# key UNIT KEY: the value(s) of KEY= in UNIT, one per line
key() { sed -n "s/^$2=//p" "$D/$1.service"; }
# envval VAR: its value in xferd.env
envval() { sed -n "s/^$1=//p" "$env"; }

for u in "${units[@]}"; do
	miss=""
	for kv in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes ProtectHome=yes \
		PrivateDevices=yes CapabilityBoundingSet= SystemCallFilter=@system-service \
		Restart=on-failure EnvironmentFile=/etc/six/xferd.env UMask=0077; do
		grep -qx -- "$kv" "$D/$u.service" || miss="$miss $kv"
	done
	user=$(key "$u" User)
	case "$user" in "" | root | 0) miss="$miss User=(dedicated)" ;; esac
	grep -qE '^(DynamicUser=yes|AmbientCapabilities=.+|CapabilityBoundingSet=.+)' \
		"$D/$u.service" && miss="$miss (grants something)"
	[ -z "$miss" ] && ok "$u: hardening keys present, user '$user'" ||
		notok "$u: missing or wrong:$miss"
done

# per-unit: address families and writable paths, as narrow as each service needs
want_af=("AF_INET AF_INET6 AF_UNIX" "AF_INET AF_INET6 AF_UNIX" "AF_UNIX")
want_rw=("$(envval SIX_OUTBOX)" "$(envval SIX_INBOX)" "$(envval SIX_HOME)")
for i in 0 1 2; do
	u=${units[$i]}
	af=$(key "$u" RestrictAddressFamilies)
	rw=$(key "$u" ReadWritePaths)
	if [ "$af" = "${want_af[$i]}" ] && [ -n "$rw" ] && [ "$rw" = "${want_rw[$i]}" ]; then
		ok "$u: RestrictAddressFamilies=$af, ReadWritePaths=$rw (as in xferd.env)"
	else notok "$u: RestrictAddressFamilies='$af' ReadWritePaths='$rw'"; fi
done
# the network-facing daemons see the spool and nothing else of the SIX home
for u in six-xferd-send six-xferd-recv; do
	if [ "$(key "$u" BindPaths)" = "$(key "$u" ReadWritePaths)" ] &&
		[ "$(key "$u" TemporaryFileSystem)" = "$(envval SIX_HOME):ro" ]; then
		ok "$u: the SIX home is hidden except its spool"
	else notok "$u: the SIX home is not hidden"; fi
done
[ "$(key six-unpack PrivateNetwork)" = yes ] && ok "six-unpack: no network namespace access" ||
	notok "six-unpack: PrivateNetwork"

# every variable ExecStart uses is set in xferd.env, every option is the tool's own
for u in "${units[@]}"; do
	exec=$(key "$u" ExecStart)
	bad=""
	for v in $(grep -oE '\$\{?[A-Z_]+' <<<"$exec" | tr -d '${'); do
		grep -q "^$v=" "$env" || bad="$bad \$$v unset"
	done
	read -r -a words <<<"$exec"
	tool=$(basename "${words[0]}")
	sub=()
	[ "$tool" = six-xferd ] && sub=("${words[1]}")
	help=$("$SIX_BIN/$tool" "${sub[@]}" --help 2>&1)
	for o in $(grep -oE -- '--[a-z-]+' <<<"$exec"); do
		grep -qE -- "$o([^a-z-]|$)" <<<"$help" || bad="$bad $o unknown to $tool ${sub[*]}"
	done
	[ -z "$bad" ] && ok "$u: ExecStart variables and options check out" ||
		notok "$u:$bad"
done

# The sysctl settings cover what the daemons ask for: recv says what it got (as root it
# forces it); without CAP_NET_ADMIN, as under the units, it says the kernel capped it
# and names the setting.
. "$(dirname "$0")/xferd.bash"
rmem=$(sed -n 's/^net.core.rmem_max = \([0-9]*\)$/\1/p' "$D/60-six-xferd.conf")
start_recv "$T/in" "$T/recv.log" || notok "recv starts"
kill "$RECV_PID"
wait "$RECV_PID" 2>/dev/null
asked=$(sed -n 's/.* recv: socket receive buffer \([0-9]*\) bytes$/\1/p' "$T/recv.log")
check "60-six-xferd.conf: net.core.rmem_max $rmem covers recv's buffer ($asked)" \
	test -n "$asked" -a -n "$rmem" -a "${asked:-1}" -le "${rmem:-0}"
RECV_WRAP="setpriv --inh-caps=-net_admin --bounding-set=-net_admin" \
	start_recv "$T/in2" "$T/recv2.log" || notok "recv starts without CAP_NET_ADMIN"
kill "$RECV_PID"
wait "$RECV_PID" 2>/dev/null
if [ "$(sysctl -n net.core.rmem_max)" -lt "${asked:-0}" ]; then
	check "without CAP_NET_ADMIN, recv says the kernel capped its buffer, and what to set" \
		grep -q "capped the socket receive buffer at .*: set net.core.rmem_max = $asked, or run as root" "$T/recv2.log"
else
	echo "ok - capped socket buffer message # SKIP net.core.rmem_max is already $(sysctl -n net.core.rmem_max)"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$T/units"
	for u in "${units[@]}"; do
		sed "s|/usr/local/bin/|$SIX_BIN/|" "$D/$u.service" >"$T/units/$u.service"
	done
	if (cd "$T/units" && systemd-analyze verify ./*.service) >"$T/.verify" 2>&1 &&
		[ ! -s "$T/.verify" ]; then
		ok "systemd-analyze verify: no errors, no warnings"
	else notok "systemd-analyze verify"; head -c 800 "$T/.verify"; fi
	for u in "${units[@]}"; do
		level=$(cd "$T/units" && systemd-analyze security --offline=yes "./$u.service" 2>/dev/null |
			sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
		if [ -z "$level" ]; then
			echo "ok - $u: exposure # SKIP this systemd-analyze cannot rate offline"
		elif awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
			ok "$u: systemd-analyze security exposure $level (<= 2.0)"
		else notok "$u: exposure $level > 2.0"; fi
	done
else
	echo "ok - systemd-analyze verify # SKIP systemd-analyze not installed"
fi

#!/usr/bin/env bash
# six-unpack with a 1 GiB file (only when `heavy`: not under sanitizers): delivered
# byte for byte, with peak memory (six-unpack, gpg and the reader, the largest of them)
# under 32 MiB.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/hostile/bundles/lib.sh"

if ! heavy; then
	ok "1 GiB round trip # SKIP heavy tests do not run under sanitizers"
	exit 0
fi
unpack_setup || { notok "setup: homes and keys"; exit 1; }

# 1 GiB: 64 MiB of random bytes (the gzip and OpenPGP layers carry real data), then
# zeros (fast to make; they still expand to 1 GiB and pass through every check)
big=$T/big.bin
head -c $((64 << 20)) /dev/urandom >"$big"
truncate -s $((1 << 30)) "$big"
mk big --file big.bin=@"$big"
/usr/bin/time -f "%M" -o "$T/mem" $U --home "$R" "$T/big.six" >"$T/big.out" 2>"$T/big.err"
rc=$?
d=$(cat "$T/big.out")
[ $rc -eq 0 ] && cmp -s "$d/payload/big.bin" "$big" && ok "1 GiB file delivered byte for byte" ||
	{ notok "1 GiB file delivered byte for byte"; echo "# exit $rc: $(head -c 300 "$T/big.err")"; }
kib=$(tail -1 "$T/mem")
[ "$kib" -lt 32768 ] && ok "peak memory ${kib} KiB < 32 MiB for 1 GiB" ||
	notok "peak memory ${kib} KiB < 32 MiB for 1 GiB"
rm -rf "$d" "$big"

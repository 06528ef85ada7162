#!/usr/bin/env bash
# Black-box acceptance test of six-unpack against an independent corpus of hostile
# bundles (issue 4 "Done when"), built by tests/contract/mkbundle.py (python tarfile +
# plain gpg) from DESIGN.md's "Bundle format v1 (FIXED essentials)" and
# formats/bundle.md only. Each must be refused: non-zero exit (the class documented in
# MANUAL.md 5.2), one stderr line "six-unpack: ...", nothing new in the inbox, nothing
# written outside the home, a quarantine entry with a reason, an audit record. Good
# controls in between must still be delivered byte for byte.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/contract/lib.sh"

setup_pair && ok "set-up: sender S enrolled as NLD at receiver R" ||
	{ notok "set-up: $(head -c 400 "$T/.genkey.err")"; exit 1; }
ESC=$T/escape
mkdir -p "$ESC"
# run from deep inside $T: an extraction relative to the working directory that climbs
# out lands in $T too, where escaped() finds it
mkdir -p "$T/cwd/a/b/c/d" && cd "$T/cwd/a/b/c/d" || exit 1

# other keys: U never enrolled; O enrolled (NLD) but not the signer; V enrolled then revoked
U=$(newhome u) O=$(newhome o) V=$(newhome v)
_homes+=("$U" "$O" "$V")
for h in "$U" "$O" "$V"; do
	six-keyring --home "$h" init >/dev/null && six-keyring --home "$h" import "$T/r.asc" >/dev/null
done
FU=$(genkey "$U" unenrolled) FO=$(genkey "$O" other) FV=$(genkey "$V" revoked)
six-keyring --home "$O" export "$FO" >"$T/o.asc"
six-keyring --home "$V" export "$FV" >"$T/v.asc"
six-keyring --home "$S" import "$T/o.asc" >/dev/null	# S can encrypt to O (not_for_us)
six-keyring --home "$R" enroll "$T/o.asc" --party NLD >/dev/null &&
	six-keyring --home "$R" enroll "$T/v.asc" --party NLD >/dev/null &&
	is_fpr "$FU" && ok "set-up: keys U (unenrolled), O, V (enrolled)" || notok "set-up of U, O, V"
# V's bundle is made while V is active, then V is revoked: "also ones made earlier"
mkb revoked "$T/revoked.six" 5 --gnupg "$V/gnupg" --signer "$FV" --sender "$FV" 2>/dev/null
six-keyring --home "$R" revoke "$FV" >/dev/null 2>&1 && ok "set-up: V revoked" || notok "set-up: revoke V"
# P may send letters only
P=$(newhome p)
_homes+=("$P")
six-keyring --home "$P" init >/dev/null && six-keyring --home "$P" import "$T/r.asc" >/dev/null
FP=$(genkey "$P" letters)
six-keyring --home "$P" export "$FP" >"$T/p.asc"
six-keyring --home "$R" enroll "$T/p.asc" --party NLD --doc-types letter >/dev/null &&
	ok "set-up: P enrolled for letters only" || notok "set-up: P enrolled for letters only"
# DS: one gpg home holding both S's and O's secret keys (a doubly signed bundle)
DS=$T/ds/gnupg
mkdir -p "$T/ds" && mkdir -m 700 "$DS"
for x in "$S:$FS" "$O:$FO"; do
	gpg --homedir "${x%%:*}/gnupg" --batch --pinentry-mode loopback --passphrase '' \
		--export-secret-keys "${x##*:}" 2>/dev/null | gpg --homedir "$DS" --batch --import 2>/dev/null
done
gpg --homedir "$DS" --batch --import "$T/r.asc" 2>/dev/null

seq=100
escaped() { { find "$T" -name 'sixescape*'; find /tmp / -maxdepth 1 -name 'sixescape*'; } 2>/dev/null | head -3; }
auditlines() { cat "$R"/audit/*.log 2>/dev/null | wc -l; }

# hostile NAME CASE "CODES" [mkbundle options]: build the case, feed it, check all
hostile() {
	local name=$1 c=$2 codes=$3 b q0 a0 in0 newq esc
	shift 3
	seq=$((seq + 1))
	b=$T/work/$c.six
	mkdir -p "$T/work"
	if [ "$c" != revoked ] && ! mkb "$c" "$b" $seq --escape "$ESC" "$@" 2>"$T/mkb.err"; then
		notok "$name: could not build the case: $(head -c 300 "$T/mkb.err")"
		return
	fi
	[ "$c" = revoked ] && cp "$T/revoked.six" "$b"
	in0=$(listing "$R/inbox") q0=$(count_entries "$R/quarantine") a0=$(auditlines)
	ls "$R/quarantine" 2>/dev/null | LC_ALL=C sort >"$T/q0"
	fail_codes "$name: refused (exit $codes)" "$codes" six-unpack --home "$R" "$b"
	echo "#   $(head -c 240 "$T/.err")"
	newq=$(ls "$R/quarantine" 2>/dev/null | LC_ALL=C sort | comm -13 "$T/q0" -)
	esc=$(escaped)
	if [ "$(listing "$R/inbox")" = "$in0" ] && [ -z "$esc" ] && [ -z "$(ls -A "$ESC")" ] &&
		[ "$(count_entries "$R/quarantine")" -eq $((q0 + 1)) ] &&
		[ -n "$(find "$R/quarantine/$newq" -type f -name '*reason*' 2>/dev/null)" ] &&
		[ "$(auditlines)" -gt "$a0" ]; then
		ok "$name: nothing in the inbox, nothing escaped, quarantined with a reason, audited"
	else
		notok "$name: aftermath"
		echo "# inbox changed: $([ "$(listing "$R/inbox")" = "$in0" ] && echo no || echo YES);" \
			"escaped: '$esc' $(ls -A "$ESC");" \
			"quarantine $q0 -> $(count_entries "$R/quarantine") (new: ${newq:-none}${newq:+: $(ls "$R/quarantine/$newq" 2>/dev/null | tr '\n' ' ')});" \
			"audit lines $a0 -> $(auditlines)"
	fi
}

GOODSEQS=() GOODIDS=()
# good NAME [CASE [mkbundle options]]: a valid hand-made bundle is delivered byte for byte
good() {
	local name=$1 c=${2:-good} b d rc
	shift; shift
	seq=$((seq + 1))
	b=$T/work/$name.six
	mkdir -p "$T/work"
	rm -rf "$T/exp"
	mkb "$c" "$b" $seq --expect "$T/exp" "$@" 2>"$T/mkb.err" || { notok "$name: build: $(head -c 300 "$T/mkb.err")"; return; }
	d=$(six-unpack --home "$R" "$b" 2>"$T/good.err")
	rc=$?
	if [ $rc -eq 0 ] && [ -d "$d" ] && same_tree "$T/exp" "$d"; then
		ok "$name: good control delivered byte for byte"
		GOODSEQS+=("$seq")
		GOODIDS+=("$(gpg --homedir "$R/gnupg" --batch --decrypt "$b" 2>/dev/null | tar -xzOf - SIX-MANIFEST |
			sed -n 's/^Bundle-Id: //p')")
	else
		notok "$name: good control: exit $rc: $(head -c 300 "$T/good.err")"
	fi
}

good "control 1"
hostile "path traversal payload/../../x" trav_dotdot 28
hostile "path traversal in the member only (manifest says x)" trav_member "27 28"
hostile "absolute member name" trav_abs "27 28"
hostile "path traversal payload/a/../../b" trav_inner 28
hostile "symbolic link member" symlink 28
hostile "symbolic link to a directory, then a file through it" symlink_then_write "23 28"
hostile "hard link member" hardlink 28
good "control 2"
hostile "character device member" chardev 28
hostile "block device member" blockdev 28
hostile "FIFO member" fifo 28
hostile "directory member" dir_member 28
hostile "manifest not first" manifest_not_first 23
hostile "no manifest" no_manifest 23
hostile "unknown manifest key" unknown_key 23
hostile "Six-Bundle: 2" version2 23
hostile "CR in a manifest line" crlf 23
good "control 3"
hostile "SHA-256 mismatch" hash_mismatch 27
hostile "member shorter than its size" size_mismatch 27
hostile "member longer than its size" size_larger "27 29"
if heavy; then big=$((128 << 20)); else big=$((16 << 20)); fi
hostile "decompression bomb (10 bytes declared, $((big >> 20)) MiB real)" bomb "27 29" --big $big
hostile "extra member" extra_member 27
hostile "missing member" missing_member 27
hostile "members out of order" out_of_order 27
hostile "duplicate path" dup_path 23
hostile "control character in a path" ctrl_path 28
hostile "newline in a path" newline_path "23 27 28"
hostile "manifest over 1 MiB" big_manifest 29
hostile "pax path header escaping (ustar name benign)" pax_path "27 28"
hostile "pax linkpath on a regular file" pax_linkpath 28
hostile "a ./ component in a member name" dot_component "27 28"
hostile "a 300-byte path component" long_component "28 29"
hostile "one file twice in the archive" dup_member 27
hostile "NUL byte in the manifest" nul_in_manifest 23
hostile "Sender in lower case" sender_lower "23 24"
hostile "the same Recipient twice" dup_recipient 23
hostile "truncated gzip stream" gzip_truncated any
hostile "gzip CRC-32 wrong" gzip_badcrc any
good "control 4"
hostile "Sender is not the signer" sender_not_signer 24 --sender "$FO"
hostile "Recipient is not this home (forwarded)" recipient_not_us 24 --recipient "$FO"
hostile "Party mismatch (enrolled NLD, manifest DEU)" party_mismatch 24 --party DEU
hostile "unknown doc type" unknown_doctype 24 --doc-type memo
hostile "stale Created (60 days ago)" stale 25 --created-offset $((-60 * 86400))
hostile "future Created (1 day ahead)" future 25 --created-offset 86400
hostile "Doc-Type not allowed for this sender (letters only)" doctype_not_allowed 24 \
	--gnupg "$P/gnupg" --signer "$FP" --sender "$FP"
hostile "Sequence 0" seq_zero 23 --seq 0
hostile "Sequence with a leading zero" seq_leading_zero 23 --seq 0777
hostile "Bundle-Id in upper case" bundleid_upper 23
hostile "Created with a fraction" created_bad 23
hostile "Created with +00:00 instead of Z" created_local 23
# formats/bundle.md 3: "Global pax headers (typeflag g) MUST NOT appear"
hostile "a global pax header (formats/bundle.md 3)" global_pax "23 27 28"
good "control 5: Created 60 s ahead (within a small skew)" good_skew --created-offset 60
good "control 5b: Created 29 days ago (max-age default 30, MANUAL 6.2)" good_old --created-offset $((-29 * 86400))
hostile "unsigned (encrypted only)" unsigned 21
hostile "signed by an unenrolled key" unenrolled 22 --gnupg "$U/gnupg" --signer "$FU" --sender "$FU"
hostile "signed by a revoked sender" revoked 22
hostile "tampered ciphertext (one byte flipped mid-file)" tamper 20
hostile "truncated ciphertext" truncate 20
hostile "signed but not encrypted" sign_only 20
hostile "encrypted without integrity protection (no MDC)" no_mdc 20
hostile "two signatures (S and O)" double_signed 21 --gnupg "$DS" --also-sign "$FO"
hostile "not encrypted to this home" not_for_us 20 --encrypt-to "$FO"
good "control 6"
if [ ${#GOODSEQS[@]} -gt 0 ]; then
	hostile "replay: another bundle with a delivered (sender, sequence)" replay_seq 26 --seq "${GOODSEQS[0]}"
else
	notok "replay: no delivered control to replay"
fi
if [ ${#GOODIDS[@]} -gt 0 ] && [[ ${GOODIDS[0]} =~ ^[0-9a-f]{32}$ ]]; then
	hostile "replay: a new sequence with a delivered Bundle-Id" replay_id 26 --bundle-id "${GOODIDS[0]}"
else
	notok "replay by id: no delivered control's Bundle-Id"
fi
good "control 7: setuid bits in the archive" setuid_control
[ -z "$(find "$R/inbox" -perm /7002 2>/dev/null)" ] &&
	ok "no delivered file or directory is setuid, setgid, sticky or world-writable" ||
	notok "unsafe modes delivered: $(find "$R/inbox" -perm /7002 | head -3)"
fail_codes "an empty file is refused" any six-unpack --home "$R" /dev/null
head -c 5000 /dev/urandom >"$T/noise.six"
fail_codes "random bytes are refused (20)" 20 six-unpack --home "$R" "$T/noise.six"
good "control 8 (last)"

# ---- concurrent runs: one bundle fed to two six-unpack at once is delivered once ----
seq=$((seq + 1))
mkb good "$T/conc.six" $seq --expect "$T/conc.exp" 2>/dev/null
cp "$T/conc.six" "$T/conc2.six"
n0=$(find "$R/inbox" -mindepth 2 -maxdepth 2 -type d | wc -l)
six-unpack --home "$R" "$T/conc.six" >"$T/c1.out" 2>"$T/c1.err" &
p1=$!
six-unpack --home "$R" "$T/conc2.six" >"$T/c2.out" 2>"$T/c2.err" &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
n1=$(find "$R/inbox" -mindepth 2 -maxdepth 2 -type d | wc -l)
codes=$(printf '%s\n' $r1 $r2 | sort -n | tr '\n' ' ')
[ "$codes" = "0 26 " ] && [ $n1 -eq $((n0 + 1)) ] &&
	ok "two concurrent runs on one bundle: one delivers, the other is a replay (26)" ||
	notok "two concurrent runs: exits $codes, inbox dirs $n0 -> $n1: $(cat "$T/c1.err" "$T/c2.err" | head -c 300)"

# nothing half-written: no staging leftovers (formats/bundle.md: HOME/state/staging/)
left=$(find "$R/state" -path '*staging*' -type f 2>/dev/null | head -3)
[ -z "$left" ] && ok "no staging leftovers after all the refusals" || notok "staging leftovers: $left"

#!/usr/bin/env bash
# six-unpack round trips: bundles made by hand (Python's tarfile, GNU tar, gpg) and by
# six-pack are delivered byte for byte, with fixed modes, the manifest and the
# signature facts beside the files, and an audit record; the command line contract.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/hostile/bundles/lib.sh"

check "--version" $U --version
grep -qx "six-unpack 1.0.0" "$T/.out" && ok "--version prints six-unpack 1.0.0" ||
	notok "--version prints six-unpack 1.0.0"
check "--help" $U --help
grep -q "^usage: six-unpack" "$T/.out" && grep -q "exit:" "$T/.out" && grep -q "example" "$T/.out" &&
	ok "--help teaches synopsis, example, exit codes" ||
	notok "--help teaches synopsis, example, exit codes"
expect_fail "no bundle" 64 "no BUNDLE" $U --home "$T/nohome"
expect_fail "unknown option" 64 "unknown option" $U --frobnicate
expect_fail "--watch without --spool" 64 "--watch needs --spool" $U --watch x
expect_fail "--spool with bundles" 64 "no BUNDLE arguments" $U --spool "$T" x
expect_fail "home not initialised" 78 "not an initialised SIX home" $U --home "$T/nohome" x

unpack_setup || { notok "setup: homes and keys"; exit 1; }
expect_fail "missing bundle file" 66 "cannot read" $U --home "$R" "$T/nonexistent.six"

# six-pack's bundles (once six-pack works): the sender's tool and this one agree
if six-pack --help >/dev/null 2>&1; then
	# six-pack's counter starts at 1: hand-made bundles below use numbers from 1000
	printf 'packed\n' >"$T/packed.txt"
	if out=$(six-pack --home "$S" -r "$RFPR" --party NLD -t report -o "$T/packed.six" \
		"$T/packed.txt" 2>"$T/pack.err"); then
		delivered "a bundle made by six-pack is delivered" "$T/packed.six" \
			packed.txt="$T/packed.txt"
	else
		notok "six-pack makes a bundle"; echo "# $(head -c 300 "$T/pack.err")"
	fi
fi
SEQ=1000

# one file
printf 'Declaration of 2026\n' >"$T/decl.txt"
mk one --file decl.txt=@"$T/decl.txt" --subject "Annual declaration"
delivered "one file" "$T/one.six" decl.txt="$T/decl.txt"
d=$LAST_DIR
case $d in "$R"/inbox/NLD/*-1001-*) ok "delivered under inbox/NLD/<created>-<seq>-<id>" ;;
*) notok "delivered under inbox/NLD/<created>-<seq>-<id>"; echo "# $d" ;; esac
cmp -s "$d/SIX-MANIFEST" <(tar -xzOf "$T/one.tgz" SIX-MANIFEST) &&
	ok "SIX-MANIFEST delivered verbatim" || notok "SIX-MANIFEST delivered verbatim"
sum=$(sha256sum <"$T/one.six" | cut -d' ' -f1)
grep -qx "Sender: $SFPR" "$d/SIX-VERIFIED" && grep -qx "Bundle-SHA256: $sum" "$d/SIX-VERIFIED" &&
	grep -q "^Signed: 20" "$d/SIX-VERIFIED" && ok "SIX-VERIFIED: signer, bundle SHA-256, time" ||
	notok "SIX-VERIFIED: signer, bundle SHA-256, time"
last=$(tail -1 "$R/audit/audit.log")
id=$(sed -n 's/^Bundle-Id: //p' "$d/SIX-MANIFEST")
echo "$last" | grep -q "\"event\":\"delivered\"" && echo "$last" | grep -q "\"bundle_id\":\"$id\"" &&
	echo "$last" | grep -q "\"sha256\":\"$sum\"" && echo "$last" | grep -q "\"sequence\":\"1001\"" &&
	ok "audit: delivered with id, sha256, sequence" || notok "audit: delivered with id, sha256, sequence"
# the archive asked for 04777 and root: modes are ours, owners the receiver's
[ "$(stat -c %a "$d/payload/decl.txt")" = 640 ] && [ "$(stat -c %a "$d/payload")" = 750 ] &&
	[ "$(stat -c %a "$d")" = 750 ] && [ "$(stat -c %u "$d/payload/decl.txt")" = "$(id -u)" ] &&
	ok "fixed modes 0640/0750, owner is the receiver" || notok "fixed modes 0640/0750, owner is the receiver"
[ -z "$(ls -A "$R/state/staging")" ] && ok "staging empty after delivery" ||
	notok "staging empty after delivery"

# an empty file
: >"$T/empty"
mk empty --file empty.txt=@"$T/empty"
delivered "an empty file" "$T/empty.six" empty.txt="$T/empty"

# nested UTF-8 paths
mkdir -p "$T/tree/Déclarations/2026/été" "$T/tree/報告"
printf 'données\n' >"$T/tree/Déclarations/2026/été/données.txt"
printf '内容\n' >"$T/tree/報告/第一.txt"
mk utf8 --tree "$T/tree"
delivered "nested UTF-8 paths" "$T/utf8.six" \
	"Déclarations/2026/été/données.txt=$T/tree/Déclarations/2026/été/données.txt" \
	"報告/第一.txt=$T/tree/報告/第一.txt"
[ "$(stat -c %a "$LAST_DIR/payload/Déclarations/2026")" = 750 ] && ok "nested directories 0750" ||
	notok "nested directories 0750"

# many small files
mkdir -p "$T/many"
for i in $(seq 1 300); do echo "file $i" >"$T/many/f$i.txt"; done
mk many --tree "$T/many"
delivered "300 small files" "$T/many.six"
diff -r "$T/many" "$LAST_DIR/payload" >/dev/null && ok "300 small files identical" ||
	notok "300 small files identical"

# a 5 MiB random file
head -c $((5 << 20)) /dev/urandom >"$T/rand.bin"
mk rand --file data/rand.bin=@"$T/rand.bin"
delivered "5 MiB of random bytes" "$T/rand.six" data/rand.bin="$T/rand.bin"

# interoperability: GNU tar and gpg by hand, following formats/bundle.md to the letter
mkdir -p "$T/hand/payload/docs"
printf 'by hand\n' >"$T/hand/payload/docs/note.txt"
h=$(sha256sum <"$T/hand/payload/docs/note.txt" | cut -d' ' -f1)
SEQ=$((SEQ + 1))
cat >"$T/hand/SIX-MANIFEST" <<EOM
Six-Bundle: 1
Bundle-Id: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
Created: $(date -u +%Y-%m-%dT%H:%M:%SZ)
Sender: $SFPR
Recipient: $RFPR
Party: NLD
Sequence: $SEQ
Doc-Type: letter
Classification: PROTECTED
File: $h 8 docs/note.txt
EOM
(cd "$T/hand" && tar --format=pax -czf "$T/hand.tgz" SIX-MANIFEST payload/docs/note.txt)
gpg --homedir "$S/gnupg" --batch --quiet --trust-model always --sign --encrypt \
	--compress-algo none -u "$SFPR" -r "$RFPR" -o "$T/hand.six" "$T/hand.tgz"
delivered "GNU tar + gpg --sign --encrypt by hand is delivered" "$T/hand.six" \
	docs/note.txt="$T/hand/payload/docs/note.txt"
# and the other way: standard tools open a delivered-format bundle
mkdir -p "$T/std"
gpg --homedir "$R/gnupg" --batch --quiet --decrypt "$T/one.six" 2>/dev/null | tar -xzf - -C "$T/std" &&
	cmp -s "$T/std/payload/decl.txt" "$T/decl.txt" && ok "gpg --decrypt | tar -xzf - opens a bundle" ||
	notok "gpg --decrypt | tar -xzf - opens a bundle"

# several bundles: each delivered one is printed; the exit status is the first failure's
mk m1
mk m2 --evil hash
mk m3
mk m4 --evil symlink
$U --home "$R" "$T/m1.six" "$T/m2.six" "$T/m3.six" "$T/m4.six" >"$T/multi.out" 2>"$T/multi.err"
rc=$?
[ $rc -eq 27 ] && [ "$(wc -l <"$T/multi.out")" -eq 2 ] && [ "$(wc -l <"$T/multi.err")" -eq 2 ] &&
	grep -q "m2.six: .*(content)" "$T/multi.err" && grep -q "m4.six: .*(unsafe)" "$T/multi.err" &&
	ok "four bundles: two delivered, two refused, exit 27 (the first refusal)" ||
	{ notok "four bundles: two delivered, two refused, exit 27 (the first refusal)"; echo "# rc=$rc"; }


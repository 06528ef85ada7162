#!/usr/bin/env bash
# six-pack: bundles that plain gpg + tar open, a manifest that tells the truth, every
# bad input refused with one line and its exit status and nothing left behind,
# sequence numbers that only go up, the outbox spool, a file changing under us.
. "$(dirname "$0")/lib.sh"

A=$(inithome snd)   # the sender
B=$(inithome rcv)   # the recipient
M=$(inithome multi) # two secret keys
E=$(inithome empty) # public keys only
W=$(newhome work)   # plain gpg making odd keys
_homes+=("$A" "$B" "$M" "$E" "$W")
mkdir -p "$W/gnupg" && chmod 700 "$W/gnupg"

gen() { six-keyring --home "$1" generate --name "$2" --email "$2@example.org" --no-passphrase; }
FA=$(gen "$A" alice) && FB=$(gen "$B" bob) || { notok "keys generated"; exit 1; }
six-keyring --home "$B" export "$FB" >"$T/b.pub" && six-keyring --home "$A" import "$T/b.pub" &&
	six-keyring --home "$E" import "$T/b.pub" && six-keyring --home "$A" export "$FA" >"$T/a.pub" &&
	six-keyring --home "$B" import "$T/a.pub" || { notok "keys imported"; exit 1; }
gen "$M" m1 >/dev/null && gen "$M" m2 >/dev/null && six-keyring --home "$M" import "$T/b.pub"

# Odd keys made with plain gpg: sign-only (cannot encrypt) and long expired.
wg() { gpg --homedir "$W/gnupg" --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
wg --quick-gen-key 'signonly <s@example.org>' ed25519 sign never 2>/dev/null
wg --faked-system-time 20200101T000000! --quick-gen-key 'old <o@example.org>' default default 1d \
	2>/dev/null
FS=$(wg --list-keys --with-colons signonly | awk -F: '$1=="fpr"{print $10; exit}')
FO=$(wg --list-keys --with-colons old | awk -F: '$1=="fpr"{print $10; exit}')
wg --export "$FS" "$FO" | gpg --homedir "$A/gnupg" --batch --quiet --import 2>/dev/null

P="six-pack --home $A -r $FB --party NLD -t declaration"
OUT=$T/out
mkdir -p "$OUT"

# open BUNDLE DIR: what anyone with the recipient's key and standard tools sees
open_bundle() {
	mkdir -p "$2" && gpg --homedir "$B/gnupg" --batch --quiet --decrypt "$1" 2>/dev/null |
		tar -xzf - -C "$2"
}
field() { grep "^$1: " "$2" | cut -d' ' -f2-; }

# ---- round trips ----
mkdir -p "$T/in/docs/sub dir/ünïcødé" "$T/in/many"
printf 'Article VI declaration\n' >"$T/in/decl.txt"
: >"$T/in/docs/empty"
head -c 300000 /dev/urandom >"$T/in/docs/sub dir/ünïcødé/blob.bin"
printf 'nested\n' >"$T/in/docs/sub dir/ünïcødé/日本語.txt"
for i in $(seq 1 300); do echo "small $i" >"$T/in/many/f$i"; done

$P --subject "Art. VI 2026" -o "$OUT/one.six" "$T/in/decl.txt" >"$T/stdout" 2>"$T/stderr"
[ $? = 0 ] && [ "$(cat "$T/stdout")" = "$OUT/one.six" ] && [ ! -s "$T/stderr" ] &&
	ok "one file: prints the bundle's path, nothing on stderr" || notok "one file: path printed"
open_bundle "$OUT/one.six" "$T/x1" && cmp -s "$T/x1/payload/decl.txt" "$T/in/decl.txt" &&
	ok "one file: gpg --decrypt | tar -xzf - gives it back" || notok "one file round trip"
first=$(gpg --homedir "$B/gnupg" --batch -q --decrypt "$OUT/one.six" 2>/dev/null | tar -tzf - | head -1)
[ "$first" = SIX-MANIFEST ] && ok "SIX-MANIFEST is the first member" || notok "manifest first ($first)"
mf=$T/x1/SIX-MANIFEST
[ "$(head -1 "$mf")" = "Six-Bundle: 1" ] && [ "$(field Sender "$mf")" = "$FA" ] &&
	[ "$(field Recipient "$mf")" = "$FB" ] && [ "$(field Party "$mf")" = NLD ] &&
	[ "$(field Doc-Type "$mf")" = declaration ] && [ "$(field Classification "$mf")" = RESTRICTED ] &&
	[ "$(field Subject "$mf")" = "Art. VI 2026" ] && [ "$(field Sequence "$mf")" = 1 ] &&
	field Bundle-Id "$mf" | grep -qxE '[0-9a-f]{32}' &&
	field Created "$mf" | grep -qxE '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' &&
	ok "manifest fields: sender, recipient, party, type, default classification, subject" ||
	{ notok "manifest fields"; sed 's/^/# /' "$mf"; }
[ "$(field File "$mf")" = "$(sha256sum <"$T/in/decl.txt" | cut -d' ' -f1) 23 decl.txt" ] &&
	ok "File: line carries sha256sum, size and basename" || notok "File: line"
gpg --homedir "$B/gnupg" --batch --status-fd 1 -o /dev/null --decrypt "$OUT/one.six" \
	>"$T/status" 2>/dev/null
grep -qE "^\[GNUPG:\] VALIDSIG .* $FA\$" "$T/status" &&
	ok "plain gpg verifies the signature, by the sender's primary key" ||
	{ notok "signature verifies"; sed 's/^/# /' "$T/status"; }
gpg --homedir "$B/gnupg" --batch --list-packets "$OUT/one.six" 2>/dev/null | grep -q compressed &&
	notok "no OpenPGP compression layer" || ok "no OpenPGP compression layer"

check "a tree: nested UTF-8 paths, an empty file, 300 small files" \
	$P --classification "HIGHLY PROTECTED" -o "$OUT/tree.six" "$T/in/docs" "$T/in/many" "$T/in/decl.txt"
open_bundle "$OUT/tree.six" "$T/x2"
diff -r "$T/in/docs" "$T/x2/payload/docs" >/dev/null && diff -r "$T/in/many" "$T/x2/payload/many" \
	>/dev/null && ok "a tree comes back identical" || notok "tree round trip"
# every File: line matches sha256sum of the extracted file, and the members are in
# manifest order (DIR walked in byte order of names)
mf=$T/x2/SIX-MANIFEST
bad=0
while read -r _ h s p; do
	[ "$(sha256sum <"$T/x2/payload/$p" | cut -d' ' -f1) $(stat -c %s "$T/x2/payload/$p")" = "$h $s" ] || bad=1
done < <(grep '^File: ' "$mf")
[ $bad = 0 ] && [ "$(grep -c '^File: ' "$mf")" = 304 ] && ok "all 304 File: lines match sha256sum" ||
	notok "File: lines match"
members=$(gpg --homedir "$B/gnupg" --batch -q --decrypt "$OUT/tree.six" 2>/dev/null | tar -tzf - | tail -n +2)
[ "$members" = "$(grep '^File: ' "$mf" | cut -d' ' -f4- | sed 's|^|payload/|')" ] &&
	ok "members follow the File: lines in order" || notok "member order"
[ "$(grep '^File: ' "$mf" | head -3 | cut -d' ' -f4-)" = "$(printf 'docs/empty\ndocs/sub dir/ünïcødé/blob.bin\ndocs/sub dir/ünïcødé/日本語.txt')" ] &&
	ok "directories walked in sorted order under their own name" || notok "walk order"
[ "$(field Classification "$mf")" = "HIGHLY PROTECTED" ] && ok "--classification recorded" ||
	notok "--classification"

# ---- choosing the key; a passphrase from a file ----
M1=$(gpg --homedir "$M/gnupg" --batch --list-secret-keys --with-colons | awk -F: '$1=="fpr"{print $10; exit}')
check "-u picks one of several secret keys" \
	six-pack --home "$M" -u "$M1" -r "$FB" --party NLD -t letter -o "$OUT/m.six" "$T/in/decl.txt"
X=$(inithome pass)
_homes+=("$X")
echo "correct horse" >"$T/pass.txt" && echo "wrong horse" >"$T/wrong.txt"
FX=$(six-keyring --home "$X" generate --name x --email x@example.org --passphrase-file "$T/pass.txt") &&
	six-keyring --home "$X" import "$T/b.pub" >/dev/null
gpgconf --homedir "$X/gnupg" --kill gpg-agent # forget the passphrase generate used
expect_fail "a wrong passphrase: the key cannot sign" 69 "key" \
	six-pack --home "$X" --passphrase-file "$T/wrong.txt" -r "$FB" --party NLD -t letter -o "$OUT/p.six" "$T/in/decl.txt"
[ ! -e "$OUT/p.six" ] && ok "a wrong passphrase leaves no bundle" || notok "wrong passphrase left a bundle"
check "--passphrase-file signs with a protected key" \
	six-pack --home "$X" --passphrase-file "$T/pass.txt" -r "$FB" --party NLD -t letter -o "$OUT/p.six" "$T/in/decl.txt"

# ---- sequence numbers ----
$P -o "$OUT/s3.six" "$T/in/decl.txt" >/dev/null
open_bundle "$OUT/s3.six" "$T/x3"
[ "$(field Sequence "$T/x2/SIX-MANIFEST")" = 2 ] && [ "$(field Sequence "$T/x3/SIX-MANIFEST")" = 3 ] &&
	ok "sequence increments per bundle" || notok "sequence increments"
six-pack --home "$A" -r "$FB" -r "$FA" --party NLD -t letter -o "$OUT/other.six" "$T/in/decl.txt" >/dev/null
gpg --homedir "$A/gnupg" --batch -q --decrypt "$OUT/other.six" 2>/dev/null | tar -xzf - -C "$T" SIX-MANIFEST
[ "$(field Sequence "$T/SIX-MANIFEST")" = 1 ] && [ "$(grep -c '^Recipient: ' "$T/SIX-MANIFEST")" = 2 ] &&
	ok "another recipient set has its own counter" || notok "counter per recipient set"
ls "$A"/state/pack-seq-* >/dev/null 2>&1 && ! ls -A "$A/state" | grep -q tmp &&
	ok "counters live in state/, no temporary left" || notok "state files"
seqf=$(grep -l "^$FB\$" "$A"/state/pack-seq-* | head -1)
cp "$seqf" "$T/seq.bak"
echo garbage >"$seqf"
expect_fail "a damaged counter stops six-pack (never restarts at 1)" 78 "damaged" \
	$P -o "$OUT/dmg.six" "$T/in/decl.txt"
cp "$T/seq.bak" "$seqf"
$P -o "$OUT/s4.six" "$T/in/decl.txt" >/dev/null && open_bundle "$OUT/s4.six" "$T/x4"
[ "$(field Sequence "$T/x4/SIX-MANIFEST")" = 4 ] && ok "the counter survives across runs" ||
	notok "counter survives"
# concurrent runs never share a number
for i in 1 2 3 4; do $P -o "$OUT/c$i.six" "$T/in/decl.txt" >/dev/null & done
wait
for i in 1 2 3 4; do
	gpg --homedir "$B/gnupg" --batch -q --decrypt "$OUT/c$i.six" 2>/dev/null | tar -xzOf - SIX-MANIFEST |
		grep '^Sequence: '
done | sort -u | wc -l | grep -qx 4 && ok "four concurrent runs take four numbers" ||
	notok "concurrent sequence numbers"

# ---- outbox ----
SP=$T/outbox
$P --outbox "$SP" "$T/in/decl.txt" >"$T/stdout"
name=$(ls "$SP/new")
[ "$(cat "$T/stdout")" = "$SP/new/$name" ] && [ -z "$(ls -A "$SP/tmp")" ] && [ -z "$(ls -A "$SP/cur")" ] &&
	echo "$name" | grep -qE '^NLD-[0-9]+-[0-9a-f]{16}\.six$' &&
	ok "--outbox: one file in new/ named PARTY-SEQ-ID.six, tmp/ and cur/ empty" ||
	notok "--outbox delivery ($name)"
open_bundle "$SP/new/$name" "$T/x5" && cmp -s "$T/x5/payload/decl.txt" "$T/in/decl.txt" &&
	[ "$(field Bundle-Id "$T/x5/SIX-MANIFEST" | cut -c1-16)" = "$(echo "$name" | cut -d- -f3 | cut -c1-16)" ] &&
	ok "--outbox bundle opens; its name carries the Bundle-Id" || notok "--outbox bundle"

# ---- bad input: one line, its status, no output and no temporary ----
mkfifo "$T/fifo"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/sock"
ln -s "$T/in/decl.txt" "$T/link"
mkdir -p "$T/withlink" && ln -s "$T/in/decl.txt" "$T/withlink/l" && echo x >"$T/withlink/a"
mkdir -p "$T/d1/x.txt" && echo 1 >"$T/d2" && mkdir -p "$T/c1" "$T/c2" && echo a >"$T/c1/same" && echo b >"$T/c2/same"
mkdir -p "$T/emptydir/sub"
BAD=$T/bad
mkdir -p "$BAD"
expect_fail "missing file" 66 "cannot read .*nope" $P -o "$BAD/b.six" "$T/nope"
if [ "$(id -u)" != 0 ]; then
	echo x >"$T/unreadable" && chmod 000 "$T/unreadable"
	expect_fail "unreadable file" 66 "cannot read" $P -o "$BAD/b.six" "$T/unreadable"
fi
expect_fail "a FIFO is refused (and not opened: no hang)" 65 "FIFO" $P -o "$BAD/b.six" "$T/fifo"
expect_fail "a socket is refused" 65 "socket" $P -o "$BAD/b.six" "$T/sock"
expect_fail "a device is refused" 65 "device" $P -o "$BAD/b.six" /dev/null
expect_fail "a symlink is refused" 65 "symbolic link" $P -o "$BAD/b.six" "$T/link"
expect_fail "a symlink inside a directory is refused" 65 "symbolic link" $P -o "$BAD/b.six" "$T/withlink"
expect_fail "two inputs with the same payload path" 65 "collide" $P -o "$BAD/b.six" "$T/c1/same" "$T/c2/same"
expect_fail "only empty directories" 65 "no files" $P -o "$BAD/b.six" "$T/emptydir"
expect_fail "unknown recipient" 67 "unknown recipient" \
	six-pack --home "$A" -r 0123456789ABCDEF0123456789ABCDEF01234567 --party NLD -t letter -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "malformed recipient" 65 "fingerprint" \
	six-pack --home "$A" -r 12345 --party NLD -t letter -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "recipient that cannot encrypt" 69 "cannot encrypt" \
	six-pack --home "$A" -r "$FS" --party NLD -t letter -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "expired recipient" 69 "cannot encrypt" \
	six-pack --home "$A" -r "$FO" --party NLD -t letter -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "-u unknown" 67 "no secret key" $P -u "$FB" -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "no secret key in the home" 69 "no secret key" \
	six-pack --home "$E" -r "$FB" --party NLD -t letter -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "several secret keys and no -u" 64 "choose one with -u" \
	six-pack --home "$M" -r "$FB" --party NLD -t letter -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "invalid party" 65 "party" \
	six-pack --home "$A" -r "$FB" --party nld -t letter -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "unknown document type" 65 "document type" \
	six-pack --home "$A" -r "$FB" --party NLD -t memo -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "unknown classification" 65 "classification" $P --classification SECRET -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "subject with a control character" 65 "subject" $P --subject "$(printf 'a\tb')" -o "$BAD/b.six" "$T/in/decl.txt"
expect_fail "no -o and no --outbox" 64 "exactly one" $P "$T/in/decl.txt"
expect_fail "no inputs" 64 "no FILE" $P -o "$BAD/b.six"
expect_fail "an unknown option: one line" 64 "unknown option.*--bogus" $P --bogus -o "$BAD/b.six" "$T/in/decl.txt"
check "--version" sh -c 'six-pack --version | grep -qx "six-pack 1.0.0"'
check "--help teaches: synopsis, example, exit codes" sh -c 'six-pack --help | grep -q "^usage: six-pack" &&
	six-pack --help | grep -q "^example:" && six-pack --help | grep -q "^exit:"'

expect_fail "uninitialised home" 78 "not an initialised" \
	six-pack --home "$T/nohome" -r "$FB" --party NLD -t letter -o "$BAD/b.six" "$T/in/decl.txt"
[ -z "$(ls -A "$BAD")" ] && ok "bad inputs left nothing in the output directory" ||
	notok "bad inputs left files: $(ls -A "$BAD")"
cp "$OUT/one.six" "$BAD/exists.six"
before=$(sha256sum <"$BAD/exists.six")
expect_fail "output exists" 68 "exists" $P -o "$BAD/exists.six" "$T/in/decl.txt"
[ "$(sha256sum <"$BAD/exists.six")" = "$before" ] && ok "existing output untouched" ||
	notok "existing output untouched"
check "--force replaces it" $P --force -o "$BAD/exists.six" "$T/in/decl.txt"
[ "$(sha256sum <"$BAD/exists.six")" != "$before" ] && [ "$(ls -A "$BAD")" = exists.six ] &&
	ok "--force: replaced, nothing else left" || notok "--force replaced"
check "--follow-symlinks packs what a link points to" $P --follow-symlinks -o "$BAD/l.six" "$T/link"

# ---- a file that changes while being packed ----
head -c 20000000 /dev/urandom >"$T/growing"
(while :; do echo more >>"$T/growing"; done) &
writer=$!
expect_fail "a file changing under six-pack is refused" 65 "chang" $P -o "$BAD/g.six" "$T/growing"
kill $writer 2>/dev/null
wait $writer 2>/dev/null
[ ! -e "$BAD/g.six" ] && [ "$(ls -A "$BAD")" = "$(printf 'exists.six\nl.six')" ] &&
	ok "nothing left after a changing file" || notok "leftovers after a changing file"

# ---- gpg killed in the middle ----
head -c 200000000 /dev/urandom >"$T/kill.bin"
mkdir -p "$T/killed"
$P -o "$T/killed/k.six" "$T/kill.bin" >/dev/null 2>"$T/kill.err" &
pk=$!
for _ in $(seq 1 500); do
	g=$(pgrep -P $pk gpg) && break
	sleep 0.01
done
[ -n "$g" ] && kill -9 $g
wait $pk
rc=$?
[ -n "$g" ] && [ $rc = 70 ] && [ "$(wc -l <"$T/kill.err")" = 1 ] && grep -q "six-pack: gpg was killed" "$T/kill.err" &&
	[ -z "$(ls -A "$T/killed")" ] && ok "gpg killed: exit 70, one line, no file left" ||
	notok "gpg killed (rc $rc, gpg ${g:-not found}): $(cat "$T/kill.err")"
rm -f "$T/kill.bin"

# ---- a full disk ----
if [ "$(id -u)" = 0 ] && mkdir -p "$T/tiny" && mount -t tmpfs -o size=1m tmpfs "$T/tiny" 2>/dev/null; then
	trap 'umount "$T/tiny" 2>/dev/null; cleanup' EXIT # rm -rf cannot remove a mount
	head -c 3000000 /dev/urandom >"$T/big"
	expect_fail "a full disk: exit 74" 74 "disk full" $P -o "$T/tiny/full.six" "$T/big"
	[ -z "$(ls -A "$T/tiny")" ] && ok "a full disk leaves no file behind" || notok "full disk leftovers"
	mkdir -p "$T/tiny/sp/tmp" "$T/tiny/sp/new" "$T/tiny/sp/cur"
	expect_fail "a full disk under --outbox: exit 74" 74 "disk full" $P --outbox "$T/tiny/sp" "$T/big"
	[ -z "$(ls -A "$T/tiny/sp/tmp" "$T/tiny/sp/new" | grep -v :)" ] &&
		ok "a full outbox keeps tmp/ and new/ empty" || notok "full outbox leftovers"
	umount "$T/tiny"
fi

# ---- memory stays bounded whatever the size (heavy: plain phase only) ----
if heavy; then
	head -c 1073741824 /dev/urandom >"$T/huge"
	kb=$(/usr/bin/time -f %M $P -o "$OUT/huge.six" "$T/huge" 2>&1 >/dev/null | tail -1)
	[ -n "$kb" ] && [ "$kb" -lt 65536 ] && ok "1 GiB input: peak RSS ${kb} KB < 64 MiB" ||
		notok "1 GiB input: peak RSS ${kb} KB"
	rm -f "$T/huge" "$OUT/huge.six"
fi

#!/usr/bin/env bash
# Black-box acceptance test of six-pack and six-unpack (issue 4) against DESIGN.md's
# FIXED interface contract and "Bundle format v1 (FIXED essentials)": a full exchange
# between two homes, the bundle opened with standard tools (gpg | tar), a bundle made
# by hand delivered, replay refused. Exit code numbers: MANUAL.md 6.1.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/contract/lib.sh"

setup_pair && ok "two homes: keys generated, exchanged, sender enrolled (NLD)" ||
	{ notok "setup of two homes: $(head -c 400 "$T/.genkey.err")"; exit 1; }

for t in six-pack six-unpack; do
	$t --help >/dev/null 2>&1 && ok "$t --help exits 0" || notok "$t --help exits 0"
	v=$($t --version 2>/dev/null) && [[ $v == "$t "* ]] && ok "$t --version: $v" ||
		notok "$t --version: '$v'"
done

# ---- the documents: a FILE and a DIR ----
IN=$T/in
mkdir -p "$IN/annexes/maps"
printf 'Article VI declaration 2026\n' >"$IN/letter.txt"
head -c 70000 /dev/urandom >"$IN/annexes/annex A.pdf"
head -c 1 /dev/urandom >"$IN/annexes/maps/1.png"
: >"$IN/annexes/empty.txt"
NFILES=4

# ---- six-pack -o ----
O1=$T/out/one.six
mkdir -p "$T/out"
six-pack --home "$S" -r "$FR" --party NLD -t declaration -o "$O1" "$IN/letter.txt" "$IN/annexes" \
	>"$T/pack1.out" 2>"$T/pack1.err"
rc=$?
[ $rc -eq 0 ] && [ "$(wc -l <"$T/pack1.out")" -eq 1 ] &&
	[ "$(realpath "$(cat "$T/pack1.out")")" = "$(realpath "$O1")" ] && [ -s "$O1" ] &&
	ok "six-pack -o prints the bundle's path" ||
	{ notok "six-pack -o: exit $rc stdout '$(head -c 200 "$T/pack1.out")' $(head -c 400 "$T/pack1.err")"; }
[ "$(ls -A "$T/out")" = one.six ] && ok "six-pack -o leaves nothing but the bundle" ||
	notok "six-pack -o leftovers: $(ls -A "$T/out" | tr '\n' ' ')"

# ---- open it with standard tools ----
# open_std BUNDLE DIR: gpg --decrypt | tar -xzf - into DIR; DIR/.members is tar -tzf
open_std() {
	mkdir -p "$2"
	gpg --homedir "$R/gnupg" --batch --status-fd 3 --decrypt "$1" 2>/dev/null 3>"$2.status" \
		>"$2.tgz" || return 1
	tar -tzf "$2.tgz" >"$2.members" && (cd "$2" && tar -xzf "$2.tgz")
}
open_std "$O1" "$T/x1" && ok "gpg --decrypt | tar -xzf - opens the bundle" ||
	notok "gpg --decrypt | tar -xzf - opens the bundle"
grep -q "VALIDSIG .* $(upper "$FS")\$" "$T/x1.status" && ok "gpg: a good signature by the sender's primary key" ||
	notok "gpg signature status: $(grep -E 'SIG|ENC' "$T/x1.status" | tr '\n' '|')"
grep -q '^\[GNUPG:\] DECRYPTION_OKAY' "$T/x1.status" && ! grep -q 'NO_MDC\|DECRYPTION_FAILED' "$T/x1.status" &&
	ok "gpg: decryption with integrity protection" || notok "gpg: decryption status"
[ "$(head -1 "$T/x1.members")" = SIX-MANIFEST ] && ok "first member (tar -tzf) is SIX-MANIFEST" ||
	notok "first member is '$(head -1 "$T/x1.members")'"

# check_manifest DIR SEQ-FILE [RECIPIENTS...]: the manifest's fields per DESIGN.md and
# the members are exactly payload/<path> of the File: lines, in order, hashes matching
check_manifest() {
	python3 - "$@" <<'EOF'
import hashlib, os, re, sys, time, calendar
d, seqfile, sender, party, doctype = sys.argv[1:6]
recips = [r.upper() for r in sys.argv[6:]]
raw = open(os.path.join(d, "SIX-MANIFEST"), "rb").read()
errs = []
def need(c, m):
    if not c: errs.append(m)
need(len(raw) <= 1 << 20, "manifest over 1 MiB")
need(raw.endswith(b"\n"), "last line does not end with \\n")
need(b"\r" not in raw, "CR in manifest")
lines = raw.decode("utf-8").split("\n")[:-1]
kv = []
for l in lines:
    k, sep, v = l.partition(": ")
    need(sep == ": ", "not a Key: Value line: %r" % l)
    kv.append((k, v))
keys = [k for k, _ in kv]
known = {"Six-Bundle", "Bundle-Id", "Created", "Sender", "Recipient", "Party", "Sequence",
         "Doc-Type", "Classification", "Subject", "File"}
need(set(keys) <= known, "unknown keys %s" % (set(keys) - known))
need(kv and kv[0] == ("Six-Bundle", "1"), "first line is not Six-Bundle: 1")
one = lambda k: [v for kk, v in kv if kk == k]
for k in ("Bundle-Id", "Created", "Sender", "Party", "Sequence", "Doc-Type", "Classification"):
    need(len(one(k)) == 1, "%s: %d lines" % (k, len(one(k))))
g = lambda k: (one(k) or [""])[0]
need(re.fullmatch(r"[0-9a-f]{32}", g("Bundle-Id")), "Bundle-Id %r" % g("Bundle-Id"))
c = g("Created")
need(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c), "Created %r" % c)
try:
    t = calendar.timegm(time.strptime(c, "%Y-%m-%dT%H:%M:%SZ"))
    need(abs(t - time.time()) < 600, "Created %s is not now" % c)
except ValueError:
    errs.append("Created unparsable")
need(g("Sender") == sender.upper(), "Sender %r != %r" % (g("Sender"), sender.upper()))
need(re.fullmatch(r"[0-9A-F]{40}", g("Sender")), "Sender not 40 upper hex")
rs = one("Recipient")
need(all(re.fullmatch(r"[0-9A-F]{40}", r) for r in rs), "Recipient not 40 upper hex")
need(sorted(rs) == sorted(recips), "Recipients %s != %s" % (rs, recips))
need(g("Party") == party, "Party %r" % g("Party"))
need(re.fullmatch(r"[1-9][0-9]*", g("Sequence")), "Sequence %r" % g("Sequence"))
need(g("Doc-Type") == doctype, "Doc-Type %r" % g("Doc-Type"))
need(g("Classification") in ("RESTRICTED", "PROTECTED", "HIGHLY PROTECTED"),
     "Classification %r" % g("Classification"))
files = one("File")
need(files, "no File: lines")
paths = []
for f in files:
    m = re.fullmatch(r"([0-9a-f]{64}) (0|[1-9][0-9]*) (.+)", f)
    if not m:
        errs.append("bad File: line %r" % f); continue
    h, size, p = m.group(1), int(m.group(2)), m.group(3)
    paths.append(p)
    q = os.path.join(d, "payload", p)
    if not os.path.isfile(q):
        errs.append("no payload/%s in the archive" % p); continue
    data = open(q, "rb").read()
    need(len(data) == size, "%s: size %d != %d" % (p, len(data), size))
    need(hashlib.sha256(data).hexdigest() == h, "%s: sha256 differs" % p)
members = open(d + ".members").read().split("\n")[:-1]
need(members == ["SIX-MANIFEST"] + ["payload/" + p for p in paths],
     "members %s != manifest order %s" % (members, paths))
open(seqfile, "w").write(g("Sequence") + "\n" + g("Bundle-Id") + "\n")
if errs:
    print("# " + "; ".join(errs)); sys.exit(1)
EOF
}
check_manifest "$T/x1" "$T/seq1" "$FS" NLD declaration "$FR" >"$T/cm.out" &&
	ok "SIX-MANIFEST: fields, formats, File: lines match the payload members in order" ||
	notok "SIX-MANIFEST: $(cat "$T/cm.out")"
n=0
for f in letter.txt "annexes/annex A.pdf" annexes/maps/1.png annexes/empty.txt; do
	cmp -s "$IN/$f" "$T/x1/payload/$f" && n=$((n + 1))
done
[ $n -eq $NFILES ] && ok "payload/<path> members are the input files (FILE by name, DIR by its name)" ||
	notok "payload members: $n of $NFILES match: $(tr '\n' ' ' <"$T/x1.members")"
SEQ1=$(head -1 "$T/seq1")
# DESIGN: "one binary OpenPGP message ... OpenPGP compression off"; "gzip-compressed
# POSIX (pax) tar"
b0=$(od -An -tu1 -N1 "$O1" | tr -d ' ')
[ -n "$b0" ] && [ $((b0 & 128)) -ne 0 ] && ok "the bundle is binary OpenPGP (not armored)" ||
	notok "the bundle's first byte is $b0: not a binary OpenPGP packet"
gpg --homedir "$R/gnupg" --batch --list-packets "$O1" >"$T/packets" 2>/dev/null
grep -q '^:pubkey enc packet:' "$T/packets" && ! grep -q '^:compressed packet:' "$T/packets" &&
	grep -q 'mdc_method\|encrypted data packet' "$T/packets" &&
	ok "OpenPGP: public-key encrypted, no compressed packet" ||
	notok "OpenPGP packets: $(grep '^:' "$T/packets" | sort -u | tr '\n' ' ')"
[ "$(od -An -tx1 -N2 "$T/x1.tgz" | tr -d ' ')" = 1f8b ] &&
	[ "$(gzip -dc "$T/x1.tgz" | head -c 265 | tail -c 8 | od -An -c | tr -d ' ')" = 'ustar\000' ] &&
	ok "signed plaintext: gzip of a POSIX ustar/pax tar" || notok "signed plaintext is not gzip + POSIX tar"

# ---- six-unpack delivers ----
six-unpack --home "$R" "$O1" >"$T/un1.out" 2>"$T/un1.err"
rc=$?
D1=$(cat "$T/un1.out")
[ $rc -eq 0 ] && [ "$(wc -l <"$T/un1.out")" -eq 1 ] && [ -d "$D1" ] &&
	[[ $(realpath "$D1") == "$(realpath "$R")/inbox/NLD/"* ]] &&
	ok "six-unpack prints the delivered directory under HOME/inbox/NLD/" ||
	notok "six-unpack: exit $rc stdout '$(head -c 200 "$T/un1.out")' $(head -c 400 "$T/un1.err")"
same_tree "$IN" "$D1" && ok "delivered files are byte-identical" || notok "delivered files differ"
[ -f "$D1/SIX-MANIFEST" ] && cmp -s "$D1/SIX-MANIFEST" "$T/x1/SIX-MANIFEST" &&
	ok "the signed manifest is delivered beside the files (SIX-MANIFEST)" ||
	notok "no byte-identical SIX-MANIFEST in the delivered directory"
[ -z "$(find "$R/inbox" -perm /6002 2>/dev/null)" ] && ok "nothing delivered setuid, setgid or world-writable" ||
	notok "unsafe modes in the inbox"
[ -n "$(find "$R/audit" -type f -size +0 2>/dev/null)" ] && ok "HOME/audit/ holds a log" ||
	notok "HOME/audit/ is empty"

# ---- replay of the same bundle ----
in0=$(listing "$R/inbox")
q0=$(count_entries "$R/quarantine")
fail_codes "the same bundle again is refused (replay, 26)" 26 six-unpack --home "$R" "$O1"
[ "$(listing "$R/inbox")" = "$in0" ] && ok "replay: nothing new in the inbox" || notok "replay: the inbox changed"
[ "$(count_entries "$R/quarantine")" -eq $((q0 + 1)) ] && ok "replay: a quarantine entry" ||
	notok "replay: quarantine has $(count_entries "$R/quarantine") entries, had $q0"

# ---- --outbox SPOOL ----
SP=$T/spool
six-pack --home "$S" -r "$FR" --party NLD -t amendment --subject "second one" --classification PROTECTED \
	--outbox "$SP" "$IN/letter.txt" >"$T/pack2.out" 2>"$T/pack2.err"
rc=$?
O2=$(cat "$T/pack2.out")
[ $rc -eq 0 ] && [ "$(wc -l <"$T/pack2.out")" -eq 1 ] && [ -f "$O2" ] &&
	[ "$(realpath "$(dirname "$O2")")" = "$(realpath "$SP/new")" ] &&
	ok "six-pack --outbox puts the bundle in SPOOL/new and prints its path" ||
	notok "six-pack --outbox: exit $rc stdout '$(head -c 200 "$T/pack2.out")' $(head -c 400 "$T/pack2.err")"
[ "$(ls -A "$SP/new" 2>/dev/null | wc -l)" -eq 1 ] && [ -z "$(ls -A "$SP/tmp" 2>/dev/null)" ] &&
	ok "--outbox: one file in new/, nothing left in tmp/" || notok "--outbox spool state"
open_std "$O2" "$T/x2" && check_manifest "$T/x2" "$T/seq2" "$FS" NLD amendment "$FR" >"$T/cm.out" &&
	grep -qx 'Subject: second one' "$T/x2/SIX-MANIFEST" && grep -qx 'Classification: PROTECTED' "$T/x2/SIX-MANIFEST" &&
	ok "--outbox bundle: manifest with Doc-Type, Subject, Classification as given" ||
	notok "--outbox bundle manifest: $(cat "$T/cm.out")"
SEQ2=$(head -1 "$T/seq2" 2>/dev/null)
[ -n "$SEQ2" ] && [ "$SEQ2" -gt "$SEQ1" ] 2>/dev/null && ok "Sequence increases across runs ($SEQ1 then $SEQ2)" ||
	notok "Sequence: $SEQ1 then '$SEQ2'"
D2=$(six-unpack --home "$R" "$O2" 2>"$T/un2.err")
[ -d "$D2" ] && cmp -s "$IN/letter.txt" "$(payload_of "$D2" letter.txt)" &&
	ok "the --outbox bundle is delivered" || notok "the --outbox bundle: $(head -c 300 "$T/un2.err")"

# ---- SIX_HOME instead of --home, two recipients ----
R2=$(newhome r2)
_homes+=("$R2")
six-keyring --home "$R2" init >/dev/null && FR2=$(genkey "$R2" second) &&
	six-keyring --home "$R2" export "$FR2" >"$T/r2.asc" && six-keyring --home "$S" import "$T/r2.asc" >/dev/null &&
	six-keyring --home "$R2" enroll "$T/s.asc" --party NLD >/dev/null &&
	ok "a second receiving home" || notok "a second receiving home"
O3=$T/out/three.six
SIX_HOME=$S six-pack -r "$FR" -r "$FR2" --party NLD -t declaration -o "$O3" "$IN/annexes" \
	>"$T/pack3.out" 2>"$T/pack3.err" && [ -s "$O3" ] &&
	ok "SIX_HOME: six-pack with two recipients" || notok "SIX_HOME six-pack: $(head -c 300 "$T/pack3.err")"
open_std "$O3" "$T/x3" && check_manifest "$T/x3" "$T/seq3" "$FS" NLD declaration "$FR" "$FR2" >"$T/cm.out" &&
	ok "two recipients: one Recipient line each" || notok "two recipients manifest: $(cat "$T/cm.out")"
SEQ3=$(head -1 "$T/seq3" 2>/dev/null)
# DESIGN: "Sequence: ... (per sender and recipient set, from 1, never reused)", so this
# bundle to a new set may carry a number R has already seen from the set {R}: still new.
D3=$(six-unpack --home "$R" "$O3" 2>"$T/un3.err") && [ -d "$D3" ] &&
	ok "a bundle to a new recipient set (Sequence $SEQ3, per sender and recipient set) is delivered" ||
	notok "new recipient set, Sequence $SEQ3 (first set had $SEQ1, $SEQ2): $(head -c 300 "$T/un3.err")"
D3b=$(six-unpack --home "$R2" "$O3" 2>"$T/un3b.err") && [ -d "$D3b" ] &&
	cmp -s "$IN/annexes/annex A.pdf" "$(payload_of "$D3b" "annexes/annex A.pdf")" &&
	ok "the second recipient delivers it too" || notok "second recipient: $(head -c 300 "$T/un3b.err")"

# ---- a bundle made by hand (python tarfile + gpg) from DESIGN.md's format only ----
mkb good "$T/hand.six" 1000000 --expect "$T/hand.exp" 2>"$T/mkb.err" &&
	ok "by hand: bundle built with tarfile + gpg --sign --encrypt" || notok "by hand: $(head -c 300 "$T/mkb.err")"
DH=$(SIX_HOME=$R six-unpack "$T/hand.six" 2>"$T/unh.err")
rc=$?
[ $rc -eq 0 ] && [ -d "$DH" ] && same_tree "$T/hand.exp" "$DH" &&
	[[ $(realpath "$DH") == "$(realpath "$R")/inbox/NLD/"* ]] &&
	ok "by hand: delivered byte for byte (six-unpack with SIX_HOME)" || notok "by hand: exit $rc $(head -c 300 "$T/unh.err")"
mkb good_utf8 "$T/hand2.six" 999999 --expect "$T/hand2.exp" 2>/dev/null
DH2=$(six-unpack --home "$R" "$T/hand2.six" 2>"$T/unh2.err") && same_tree "$T/hand2.exp" "$DH2" &&
	ok "by hand: UTF-8 path (pax header), lower sequence later: delivered" ||
	notok "by hand UTF-8 / out of order: $(head -c 300 "$T/unh2.err")"

# ---- a signature by a signing subkey counts as its primary key's ----
W=$(newhome w)
_homes+=("$W")
six-keyring --home "$W" init >/dev/null && FW=$(genkey "$W" subkeyed) &&
	gpg --homedir "$W/gnupg" --batch --pinentry-mode loopback --passphrase '' \
		--quick-add-key "$FW" ed25519 sign never >/dev/null 2>&1
SUB=$(gpg --homedir "$W/gnupg" --batch --with-colons --list-secret-keys "$FW" 2>/dev/null |
	awk -F: '/^ssb/ && $12 ~ /s/ {f=1; next} f && /^fpr/ {print $10; exit}')
six-keyring --home "$W" export "$FW" >"$T/w.asc" && six-keyring --home "$W" import "$T/r.asc" >/dev/null &&
	six-keyring --home "$R" enroll "$T/w.asc" --party DEU >/dev/null 2>"$T/enw.err"
python3 "$CT/mkbundle.py" --case good --gnupg "$W/gnupg" --signer "$SUB" --sender "$FW" \
	--recipient "$FR" --encrypt-to "$FR" --party DEU --seq 7 --out "$T/sub.six" --expect "$T/sub.exp" 2>/dev/null
gpg --homedir "$R/gnupg" --batch --status-fd 1 --decrypt "$T/sub.six" 2>/dev/null | grep -q "VALIDSIG $SUB " &&
	ok "subkey: the bundle is signed by the signing subkey" || notok "subkey: set-up failed ($SUB)"
DW=$(six-unpack --home "$R" "$T/sub.six" 2>"$T/unw.err")
rc=$?
[ $rc -eq 0 ] && [[ $(realpath "$DW") == "$(realpath "$R")/inbox/DEU/"* ]] && same_tree "$T/sub.exp" "$DW" &&
	ok "subkey: delivered as its primary key's (inbox/DEU)" || notok "subkey: exit $rc $(head -c 300 "$T/unw.err")"

# ---- six-pack refusals leave nothing behind ----
l0=$(listing "$T/out")
fail_codes "six-pack: unknown recipient (67)" 67 six-pack --home "$S" -r 0123456789ABCDEF0123456789ABCDEF01234567 \
	--party NLD -t declaration -o "$T/out/bad1.six" "$IN/letter.txt"
fail_codes "six-pack: malformed party (65)" 65 six-pack --home "$S" -r "$FR" --party nld -t declaration \
	-o "$T/out/bad2.six" "$IN/letter.txt"
fail_codes "six-pack: unknown doc type (65)" 65 six-pack --home "$S" -r "$FR" --party NLD -t memo \
	-o "$T/out/bad3.six" "$IN/letter.txt"
fail_codes "six-pack: missing input file (66)" 66 six-pack --home "$S" -r "$FR" --party NLD -t declaration \
	-o "$T/out/bad4.six" "$IN/nosuch.pdf"
fail_codes "six-pack: output exists (68)" 68 six-pack --home "$S" -r "$FR" --party NLD -t declaration \
	-o "$O1" "$IN/letter.txt"
fail_codes "six-pack: neither -o nor --outbox (64)" 64 six-pack --home "$S" -r "$FR" --party NLD -t declaration \
	"$IN/letter.txt"
mkfifo "$T/fifo"
fail_codes "six-pack: a FIFO input is refused (65), without hanging" 65 timeout 20 six-pack --home "$S" -r "$FR" \
	--party NLD -t declaration -o "$T/out/bad5.six" "$T/fifo"
ln -s "$IN/letter.txt" "$T/link.txt"
fail_codes "six-pack: a symbolic link input is refused (65)" 65 six-pack --home "$S" -r "$FR" \
	--party NLD -t declaration -o "$T/out/bad6.six" "$T/link.txt"
[ "$(listing "$T/out")" = "$l0" ] && ok "six-pack refusals leave no file behind" ||
	notok "six-pack refusals left: $(diff <(echo "$l0") <(listing "$T/out") | tr '\n' ' ')"
fail_codes "six-unpack: missing bundle file" any six-unpack --home "$R" "$T/nosuch.six"
fail_codes "six-unpack: uninitialised home (78)" 78 six-unpack --home "$T/nohome" "$O1"

# ---- several bundles in one run; --spool ----
mkb good "$T/m1.six" 2000000 --expect "$T/m1.exp" 2>/dev/null
mkb good "$T/m2.six" 2000001 --expect "$T/m2.exp" 2>/dev/null
in0=$(listing "$R/inbox")
six-unpack --home "$R" "$T/m1.six" "$O1" "$T/m2.six" >"$T/multi.out" 2>"$T/multi.err"
rc=$?
[ $rc -ne 0 ] && [ "$(wc -l <"$T/multi.out")" -eq 2 ] && [ "$(wc -l <"$T/multi.err")" -eq 1 ] &&
	same_tree "$T/m1.exp" "$(sed -n 1p "$T/multi.out")" && same_tree "$T/m2.exp" "$(sed -n 2p "$T/multi.out")" &&
	ok "three bundles, the middle one a replay: two delivered and printed, one error line, exit $rc" ||
	notok "several bundles: exit $rc, stdout $(wc -l <"$T/multi.out") lines, stderr: $(head -c 300 "$T/multi.err")"
SPU=$T/uspool
six-pack --home "$S" -r "$FR" --party NLD -t report --outbox "$SPU" "$IN/letter.txt" >/dev/null 2>&1
six-pack --home "$S" -r "$FR" --party NLD -t letter --outbox "$SPU" "$IN/annexes" >/dev/null 2>&1
six-unpack --home "$R" --spool "$SPU" >"$T/spool.out" 2>"$T/spool.err"
rc=$?
[ $rc -eq 0 ] && [ "$(wc -l <"$T/spool.out")" -eq 2 ] && [ -z "$(ls -A "$SPU/new")" ] &&
	ok "six-unpack --spool delivers every bundle in SPOOL/new and empties it" ||
	notok "--spool: exit $rc, printed $(wc -l <"$T/spool.out"), left in new/: $(ls -A "$SPU/new" | wc -l): $(head -c 300 "$T/spool.err")"

# ---- -u FPR: the signing key when the home has two ----
FS2=$(genkey "$S" sender-two)
fail_codes "six-pack with two secret keys and no -u (64)" 64 six-pack --home "$S" -r "$FR" --party NLD \
	-t declaration -o "$T/out/two.six" "$IN/letter.txt"
six-pack --home "$S" -r "$FR" -u "$FS" --party NLD -t declaration -o "$T/out/u.six" "$IN/letter.txt" \
	>/dev/null 2>"$T/u.err" && open_std "$T/out/u.six" "$T/xu" &&
	grep -qx "Sender: $(upper "$FS")" "$T/xu/SIX-MANIFEST" &&
	grep -q "VALIDSIG .* $(upper "$FS")\$" "$T/xu.status" &&
	ok "six-pack -u FPR signs with that key and names it as Sender" ||
	notok "six-pack -u: $(head -c 300 "$T/u.err")"

# ---- --spool --watch: a bundle arriving later is delivered; SIGTERM stops it ----
SPW=$T/wspool
mkdir -p "$SPW/tmp" "$SPW/new" "$SPW/cur"
n0=$(find "$R/inbox" -mindepth 2 -maxdepth 2 -type d | wc -l)
six-unpack --home "$R" --spool "$SPW" --watch >"$T/watch.out" 2>"$T/watch.err" &
wpid=$!
sleep 1
six-pack --home "$S" -r "$FR" -u "$FS" --party NLD -t declaration --outbox "$SPW" "$IN/letter.txt" >/dev/null 2>&1
for i in $(seq 1 100); do
	[ "$(find "$R/inbox" -mindepth 2 -maxdepth 2 -type d | wc -l)" -gt "$n0" ] && break
	sleep 0.1
done
sleep 0.3
kill -TERM $wpid 2>/dev/null
wait $wpid
rc=$?
[ "$(find "$R/inbox" -mindepth 2 -maxdepth 2 -type d | wc -l)" -eq $((n0 + 1)) ] && [ -z "$(ls -A "$SPW/new")" ] &&
	[ "$(wc -l <"$T/watch.out")" -eq 1 ] &&
	ok "--spool --watch delivers a bundle that arrives later, prints its directory" ||
	notok "--watch: inbox $n0 -> $(find "$R/inbox" -mindepth 2 -maxdepth 2 -type d | wc -l), new/ $(ls -A "$SPW/new" | wc -l): $(head -c 300 "$T/watch.err")"
[ $rc -eq 0 ] && ok "--watch stops on SIGTERM with exit 0" || notok "--watch after SIGTERM: exit $rc"

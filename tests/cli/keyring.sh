#!/usr/bin/env bash
# six-keyring: init, generate, export, import, enroll, revoke, list; every bad input
# fails with one line, its exit status, and the home (registry AND keyring) unchanged.
. "$(dirname "$0")/lib.sh"

K=six-keyring
S=$(inithome snd)	# a sender's home
R=$(inithome enc)	# the enclave's home (receives, keeps the registry)
O=$(newhome opt)	# made by "init --home" after the verb
PL=$(newhome plain)	# plain gpg, no SIX
WK=$(newhome work)	# plain gpg making the odd keys
C=$(inithome conc)	# concurrent enrolments
N=$(newhome nothing)	# never initialised
# newhome runs in a subshell here: remember the homes so cleanup stops their agents
_homes+=("$S" "$R" "$O" "$PL" "$WK" "$C" "$N")

# ---- init ----
layout_ok() {
	local h=$1 d
	[ "$(stat -c %a "$h")" = 700 ] && [ "$(stat -c %a "$h/gnupg")" = 700 ] || return 1
	for d in state inbox quarantine audit spool/outbox/tmp spool/outbox/new \
		spool/outbox/cur spool/inbox/tmp spool/inbox/new spool/inbox/cur; do
		[ -d "$h/$d" ] || return 1
	done
	grep -qx 'trust-model always' "$h/gnupg/gpg.conf" &&
		grep -qx 'no-auto-key-retrieve' "$h/gnupg/gpg.conf" &&
		grep -qx 'allow-loopback-pinentry' "$h/gnupg/gpg-agent.conf" &&
		[ "$(cat "$h/registry")" = "six-registry 1" ]
}
check "init makes the layout, 0700, hardened gpg.conf, empty registry" layout_ok "$S"
# gpg itself must accept every line of the hardened configuration
check "gpg accepts the hardened gpg.conf" gpg --homedir "$S/gnupg" --gpgconf-test
before=$(tree_sum "$S")
check "init again succeeds" $K --home "$S" init
[ "$(tree_sum "$S")" = "$before" ] && ok "init again changes nothing" ||
	notok "init again changes nothing"
check "options after the verb: init --home H" $K init --home "$O"
check "SIX_HOME is used without --home" env SIX_HOME="$O" $K list
mkdir -m 755 "$T/empty" && echo x >"$T/busy.file" && mkdir "$T/busy" && mv "$T/busy.file" "$T/busy/"
_homes+=("$T/empty")
check "init of an existing empty directory" $K --home "$T/empty" init
[ "$(stat -c %a "$T/empty")" = 700 ] && layout_ok "$T/empty" &&
	ok "an existing empty directory becomes a 0700 home" || notok "existing empty directory"
expect_fail "init of a non-empty directory that is no home" 68 "not empty" $K --home "$T/busy" init
[ "$(ls -A "$T/busy")" = busy.file ] && [ "$(stat -c %a "$T/busy")" = 755 ] &&
	ok "a refused directory is left alone" || notok "a refused directory is left alone"
long=$T/$(printf 'x%.0s' $(seq 1 90))
expect_fail "home path too long for gpg-agent sockets" 78 "sockets" $K --home "$long" init
[ ! -e "$long" ] && ok "a refused home is not created" || notok "a refused home is not created"

# ---- generate (each key once, reused below) ----
$K --home "$S" generate --name "Jan de Vries" --email jan@example.nl </dev/null \
	>"$T/fpr" 2>"$T/gen.err"
F=$(cat "$T/fpr")
[[ $F =~ ^[0-9A-F]{40}$ ]] && [ "$(wc -l <"$T/fpr")" -eq 1 ] &&
	ok "generate prints one 40-hex fingerprint" || notok "generate prints one 40-hex fingerprint: '$F'"
grep -q "NO passphrase.*--change-passphrase $F" "$T/gen.err" && [ "$(wc -l <"$T/gen.err")" -eq 1 ] &&
	ok "generate without a terminal warns: no passphrase" || notok "no-passphrase warning"
caps=$(gpg --homedir "$S/gnupg" --with-colons --list-secret-keys "$F" | awk -F: '/^(sec|ssb)/{print $1":"$4":"$12}' | tr '\n' ' ')
[[ $caps == "sec:22:"*s*c*" ssb:18:e "* ]] &&
	ok "Ed25519 sign+certify primary, Curve25519 encryption subkey" || notok "key layout: $caps"

echo "correct horse battery" >"$T/pw"
FP=$($K --home "$S" generate --name Pat --email pat@example.nl --passphrase-file "$T/pw" 2>"$T/gen.err")
echo payload >"$T/msg"
check "--passphrase-file: the passphrase signs" gpg --homedir "$S/gnupg" --batch \
	--pinentry-mode loopback --passphrase-file "$T/pw" -u "$FP" -o "$T/msg.sig" --sign "$T/msg"
[ ! -s "$T/gen.err" ] && ok "--passphrase-file: no warning" || notok "--passphrase-file warned"
echo wrong >"$T/pw2"
gpgconf --homedir "$S/gnupg" --reload gpg-agent # forget the cached passphrase
if gpg --homedir "$S/gnupg" --batch --pinentry-mode loopback --passphrase-file "$T/pw2" \
	-u "$FP" -o "$T/msg2.sig" --sign "$T/msg" 2>/dev/null; then
	notok "--passphrase-file: a wrong passphrase does not sign"
else ok "--passphrase-file: a wrong passphrase does not sign"; fi
expect_fail "generate: missing passphrase file" 66 "pw-missing" \
	$K --home "$S" generate --name X --email x@example.org --passphrase-file "$T/pw-missing"

FR=$($K --home "$S" generate --name Rosa --email rosa@example.org --algo rsa4096 --no-passphrase)
caps=$(gpg --homedir "$S/gnupg" --with-colons --list-keys "$FR" | awk -F: '/^(pub|sub)/{print $1":"$3":"$4}' | tr '\n' ' ')
[ "$caps" = "pub:4096:1 sub:4096:1 " ] && ok "--algo rsa4096: RSA-4096 primary and subkey" ||
	notok "rsa4096: $caps"

expect_fail "generate needs --name and --email" 64 "--name" $K --home "$S" generate --email x@example.org
expect_fail "generate: bad e-mail" 65 "e-mail" $K --home "$S" generate --name X --email nobody
expect_fail "generate: bad --algo" 64 "algo" $K --home "$S" generate --name X --email x@e.org --algo dsa
expect_fail "generate: two passphrase choices" 64 "exclude" \
	$K --home "$S" generate --name X --email x@e.org --no-passphrase --passphrase-file "$T/pw"

# ---- export ----
$K --home "$S" export "$F" >"$T/jan.asc"
check "export is armored" grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$T/jan.asc"
G=$PL/gnupg
mkdir -p "$G" && chmod 700 "$G"
check "plain gpg imports the export" gpg --homedir "$G" --batch --import "$T/jan.asc"
n=$(gpg --homedir "$G" --with-colons --list-keys | grep -c '^pub')
s=$(gpg --homedir "$G" --with-colons --list-secret-keys 2>/dev/null | grep -c '^sec')
[ "$n" = 1 ] && [ "$s" = 0 ] && gpg --homedir "$G" --with-colons --list-keys "$F" >/dev/null &&
	ok "export holds exactly that public key, no secret" || notok "export: $n keys, $s secret"
check "export accepts lower-case fingerprints" $K --home "$S" export "${F,,}"
$K --home "$S" export "$FR" >"$T/rosa.asc"
expect_fail "export: malformed fingerprint" 65 "malformed fingerprint" $K --home "$S" export 1234
expect_fail "export: unknown fingerprint" 67 "no public key" $K --home "$S" export "$(printf 'AB%.0s' {1..20})"
sub=$(gpg --homedir "$S/gnupg" --with-colons --list-keys "$F" | awk -F: '/^fpr/{print $10}' | sed -n 2p)
expect_fail "export: a subkey's fingerprint is not a key's" 67 "no public key" $K --home "$S" export "$sub"

# ---- key files for the bad cases (made with plain gpg) ----
W=$WK/gnupg
mkdir -p "$W" && chmod 700 "$W"
gpg --homedir "$W" --batch --passphrase '' --quick-gen-key 'Cert Only <c@example.org>' ed25519 cert never 2>/dev/null
FC=$(gpg --homedir "$W" --with-colons --list-keys c@example.org | awk -F: '/^fpr/{print $10; exit}')
gpg --homedir "$W" --batch --passphrase '' --quick-add-key "$FC" cv25519 encr never 2>/dev/null
gpg --homedir "$W" --armor --export "$FC" >"$T/certonly.asc"
gpg --homedir "$W" --batch --passphrase '' --quick-gen-key 'Sign Only <s@example.org>' ed25519 sign never 2>/dev/null
FS=$(gpg --homedir "$W" --with-colons --list-keys s@example.org | awk -F: '/^fpr/{print $10; exit}')
gpg --homedir "$W" --armor --export "$FS" >"$T/signonly.asc"
gpg --homedir "$S/gnupg" --batch --pinentry-mode loopback --passphrase '' --armor \
	--export-secret-keys "$F" >"$T/secret.asc" 2>/dev/null
gpg --homedir "$S/gnupg" --batch --pinentry-mode loopback --passphrase '' \
	--export-secret-subkeys "$F" >"$T/secret-sub.bin" 2>/dev/null
cat "$T/jan.asc" "$T/rosa.asc" >"$T/two.asc"
echo "this is not a key" >"$T/junk.asc"
: >"$T/empty.asc"
head -c 400 "$T/jan.asc" >"$T/cut.asc"

# ---- enroll ----
gpg-connect-agent --homedir "$R/gnupg" /bye >/dev/null 2>&1 # sockets are not keyring state
# refusals first, on a home with an empty registry and keyring: nothing may change
refuse() { # refuse NAME STATUS REGEX ARGS...: fails so, and the enclave home is unchanged
	local name=$1 want=$2 pat=$3 sum
	shift 3
	sum=$(tree_sum "$R")
	expect_fail "$name" "$want" "$pat" $K --home "$R" "$@"
	[ "$(tree_sum "$R")" = "$sum" ] && ok "$name: home unchanged" || notok "$name: home unchanged"
}
refuse "enroll: not a key" 65 "no OpenPGP key" enroll "$T/junk.asc" --party NLD
refuse "enroll: empty file" 65 "no OpenPGP key" enroll "$T/empty.asc" --party NLD
refuse "enroll: truncated key" 65 "key" enroll "$T/cut.asc" --party NLD
refuse "enroll: two keys in one file" 65 "2 keys" enroll "$T/two.asc" --party NLD
refuse "enroll: a secret key" 65 "SECRET" enroll "$T/secret.asc" --party NLD
refuse "enroll: secret subkeys (binary)" 65 "SECRET" enroll "$T/secret-sub.bin" --party NLD
refuse "enroll: a key that cannot sign" 69 "cannot sign" enroll "$T/certonly.asc" --party NLD
refuse "enroll: missing key file" 66 "nothere.asc" enroll "$T/nothere.asc" --party NLD
refuse "enroll: malformed party" 65 "party" enroll "$T/jan.asc" --party nl
refuse "enroll: unknown party form" 65 "party" enroll "$T/jan.asc" --party OPCWX
refuse "enroll: expiry in the past" 65 "not in the future" enroll "$T/jan.asc" --party NLD --expires 2020-01-01
refuse "enroll: expiry today" 65 "not in the future" enroll "$T/jan.asc" --party NLD --expires "$(date -u +%F)"
refuse "enroll: malformed expiry" 65 "YYYY-MM-DD" enroll "$T/jan.asc" --party NLD --expires 2030-02-30
refuse "enroll: doc type not configured" 65 "not configured" enroll "$T/jan.asc" --party NLD --doc-types declaration,poem
refuse "enroll: doc type twice" 65 "twice" enroll "$T/jan.asc" --party NLD --doc-types letter,letter
refuse "enroll: without --party" 64 "--party" enroll "$T/jan.asc"
refuse "enroll: option of another verb" 64 "does not apply" enroll "$T/jan.asc" --party NLD --json
refuse "revoke: unknown key" 67 "not in the registry" revoke "$F"
refuse "revoke: malformed fingerprint" 65 "malformed" revoke "G$F"

out=$($K --home "$R" enroll "$T/jan.asc" --party NLD --doc-types declaration,amendment --expires 2099-12-31)
[ "$out" = "$F" ] && ok "enroll prints the fingerprint" || notok "enroll printed '$out'"
$K --home "$R" list >"$T/list"
grep -qE "^$F +NLD +active +[0-9-]{10} +2099-12-31 +declaration,amendment +Jan de Vries <jan@example.nl>$" "$T/list" &&
	ok "list shows the sender with its party, doc types, expiry" || notok "list: $(cat "$T/list")"
gpg --homedir "$R/gnupg" --with-colons --list-keys "$F" >/dev/null 2>&1 &&
	ok "enroll imported the key" || notok "enroll imported the key"
grep -q '"event":"key-enrolled".*"fingerprint":"'"$F"'".*"party":"NLD"' "$R/audit/audit.log" &&
	ok "enroll writes a key-enrolled audit record" || notok "key-enrolled audit record"
refuse "enroll twice" 68 "already enrolled" enroll "$T/jan.asc" --party NLD
FO=$($K --home "$R" enroll "$T/rosa.asc" --party OPCW)
[ "$FO" = "$FR" ] && ok "enroll OPCW, any doc type, no expiry" || notok "enroll OPCW"

py_list() { $K --home "$R" list --json | python3 -c "$1"; }
check "list --json parses and holds both entries" py_list '
import json, sys
a = json.load(sys.stdin)
assert len(a) == 2, a
j = [e for e in a if e["party"] == "NLD"][0]
assert j["fingerprint"] == "'"$F"'" and j["status"] == "active", j
assert j["doc_types"] == ["declaration", "amendment"] and j["any_doc_type"] is False, j
assert j["expires"] == "2099-12-31T00:00:00Z" and j["revoked"] is None, j
o = [e for e in a if e["party"] == "OPCW"][0]
assert o["any_doc_type"] is True and o["doc_types"] == [] and o["expires"] is None, o
assert o["name"] == "Rosa <rosa@example.org>", o'

# ---- revoke ----
check "revoke" $K --home "$R" revoke "${F,,}"
$K --home "$R" list | grep -qE "^$F +NLD +revoked " && ok "list shows it revoked" || notok "list after revoke"
check "revoked entry keeps its record with the time" py_list '
import json, sys
j = [e for e in json.load(sys.stdin) if e["party"] == "NLD"][0]
assert j["status"] == "revoked" and j["revoked"].endswith("Z"), j'
grep -q '"event":"key-revoked".*"fingerprint":"'"$F"'"' "$R/audit/audit.log" &&
	ok "revoke writes a key-revoked audit record" || notok "key-revoked audit record"
refuse "revoke twice" 68 "already revoked" revoke "$F"
refuse "re-enrol a revoked key" 68 "already enrolled" enroll "$T/jan.asc" --party NLD

# an active entry past its expiry lists as expired (edit the stored time into the past)
sed -i "s/^\($FR\tOPCW\tactive\t[^\t]*\t\)never/\12021-06-01T00:00:00Z/" "$R/registry"
$K --home "$R" list | grep -qE "^$FR +OPCW +expired +[0-9-]{10} +2021-06-01 " &&
	ok "list shows an entry past its expiry as expired" || notok "expired: $($K --home "$R" list)"

# a damaged registry is a configuration error, never an empty one
cp "$R/registry" "$T/registry.good"
printf 'six-registry 1\nnonsense\n' >"$R/registry"
expect_fail "damaged registry: list refuses" 78 "registry: line 2" $K --home "$R" list
cp "$T/registry.good" "$R/registry"

# ---- import (recipients' keys, on the sending side) ----
E=$($K --home "$R" generate --name Enclave --email enclave@example.org 2>/dev/null)
$K --home "$R" export "$E" >"$T/enclave.asc"
out=$($K --home "$S" import "$T/enclave.asc")
[ "$out" = "$E" ] && gpg --homedir "$S/gnupg" --with-colons --list-keys "$E" >/dev/null 2>&1 &&
	ok "import a recipient's key" || notok "import printed '$out'"
gpg-connect-agent --homedir "$S/gnupg" /bye >/dev/null 2>&1
refuse_s() {
	local name=$1 want=$2 pat=$3 sum
	shift 3
	sum=$(tree_sum "$S")
	expect_fail "$name" "$want" "$pat" $K --home "$S" "$@"
	[ "$(tree_sum "$S")" = "$sum" ] && ok "$name: home unchanged" || notok "$name: home unchanged"
}
refuse_s "import: a secret key" 65 "SECRET" import "$T/secret.asc"
refuse_s "import: two keys" 65 "2 keys" import "$T/two.asc"
refuse_s "import: not a key" 65 "no OpenPGP key" import "$T/junk.asc"
refuse_s "import: a key that cannot encrypt" 69 "cannot encrypt" import "$T/signonly.asc"
refuse_s "import: missing file" 66 "nothere" import "$T/nothere.asc"
check "import: a cert-only key that can encrypt" $K --home "$S" import "$T/certonly.asc"

# ---- concurrent enrolments are serialised by the registry lock ----
for i in 1 2 3 4; do
	f=$($K --home "$S" generate --name "Conc $i" --email c$i@example.org 2>/dev/null)
	$K --home "$S" export "$f" >"$T/c$i.asc"
done
for i in 1 2 3 4; do $K --home "$C" enroll "$T/c$i.asc" --party DEU >/dev/null & done
wait
n=$($K --home "$C" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 4 ] && ok "four concurrent enrolments all recorded" || notok "concurrent: $n of 4"

# a user id with terminal escapes and a TAB is stored and shown defused
gpg --homedir "$W" --batch --passphrase '' --quick-gen-key $'Evil\e[31m\tX <e@example.org>' \
	ed25519 sign never 2>/dev/null
gpg --homedir "$W" --armor --export e@example.org >"$T/evil.asc"
FE=$($K --home "$C" enroll "$T/evil.asc" --party FRA)
$K --home "$C" list | grep -qF "$FE  FRA    active" && ! $K --home "$C" list | grep -q $'\e' &&
	$K --home "$C" list | grep -qF 'Evil?[31m?X <e@example.org>' &&
	ok "a user id's control characters are replaced" || notok "evil user id: $($K --home "$C" list | cat -A)"

# ---- homes, usage, help ----
expect_fail "list: home not initialised" 78 "not an initialised SIX home" $K --home "$N" list
expect_fail "enroll: home not initialised" 78 "six-keyring --home .* init" \
	$K --home "$N" enroll "$T/jan.asc" --party NLD
[ ! -e "$N" ] && ok "an uninitialised home is not created" || notok "uninitialised home created"
expect_fail "no command" 64 "no command" $K --home "$S"
expect_fail "unknown command" 64 "unknown command" $K --home "$S" frobnicate
expect_fail "unknown option" 64 "unknown option" $K --home "$S" list --frob
expect_fail "missing operand" 64 "one operand" $K --home "$S" export
expect_fail "extra operand" 64 "no operand" $K --home "$S" list extra
check "--help" $K --help
grep -q "enroll FILE --party CODE" "$T/.out" && grep -q "exit:" "$T/.out" &&
	ok "--help shows the synopsis and exit codes" || notok "--help text"
[ "$($K --version)" = "six-keyring 1.0.0" ] && ok "--version" || notok "--version"

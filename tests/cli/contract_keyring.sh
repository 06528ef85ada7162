#!/usr/bin/env bash
# Black-box acceptance test of six-keyring against DESIGN.md's FIXED interface contract
# and home layout (issue 2 "Done when"). Exit code numbers: MANUAL.md 2.9 / 6.1.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/contract/lib.sh"

K=six-keyring
A=$(newhome a)	# key owner (sender)
B=$(newhome b)	# receiving side with the registry
E=$(newhome e)	# via SIX_HOME
N=$(newhome n)	# never initialised
_homes+=("$A" "$B" "$E" "$N")

# ---- --help, --version ----
$K --help >"$T/help" 2>&1 && [ -s "$T/help" ] && ok "--help exits 0 and says something" ||
	notok "--help exits 0"
v=$($K --version 2>/dev/null) && [[ $v == "six-keyring "* ]] && ok "--version: $v" ||
	notok "--version exits 0 and names the tool: '$v'"

# ---- init and the FIXED layout roots ----
check "init creates a home" $K --home "$A" init
check "init a second home" $K --home "$B" init
roots_ok() {
	local h=$1 d
	[ -d "$h/gnupg" ] && [ "$(stat -c %a "$h/gnupg")" = 700 ] || return 1
	for d in inbox quarantine audit state; do [ -d "$h/$d" ] || return 1; done
	[ -s "$h/gnupg/gpg.conf" ]
}
roots_ok "$A" && ok "init layout: gnupg/ 0700 with gpg.conf, inbox/ quarantine/ audit/ state/" ||
	notok "init layout roots: $(cd "$A" && ls -la | tr '\n' '|')"
[ -z "$(find "$A" -perm -o+w ! -type l ! -type s)" ] &&
	ok "nothing in a fresh home is world-writable" || notok "world-writable in a fresh home"

# ---- generate: no passphrase option, no terminal ----
$K --home "$A" generate --name "Alice Sender" --email alice@example.org </dev/null \
	>"$T/gen.out" 2>"$T/gen.err"
rc=$?
FA=$(cat "$T/gen.out")
[ $rc -eq 0 ] && is_fpr "$FA" && [ "$(wc -l <"$T/gen.out")" -eq 1 ] &&
	ok "generate prints one 40-hex fingerprint" ||
	notok "generate: exit $rc stdout '$FA' stderr $(head -c 300 "$T/gen.err")"
gpg --homedir "$A/gnupg" --batch --with-colons --list-secret-keys 2>/dev/null |
	grep -q "^fpr:*$(upper "$FA"):" && ok "the new key's secret is in HOME/gnupg" ||
	notok "the new key's secret is in HOME/gnupg"

printf 'correct horse battery staple\n' >"$T/pass"
chmod 600 "$T/pass"
FPW=$($K --home "$A" generate --name "Pass Word" --email pw@example.org --passphrase-file "$T/pass" </dev/null 2>/dev/null)
is_fpr "$FPW" && ok "generate --passphrase-file prints a fingerprint" || notok "generate --passphrase-file: '$FPW'"
gpg --homedir "$A/gnupg" --batch --pinentry-mode loopback --passphrase wrong --export-secret-keys "$FPW" \
	>/dev/null 2>&1 </dev/null && notok "--passphrase-file: the key is not protected" ||
	ok "--passphrase-file: the secret key is protected by the passphrase"
lc=$(printf '%s' "$FA" | tr A-F a-f)
$K --home "$A" export "$lc" 2>/dev/null | grep -q 'BEGIN PGP PUBLIC KEY BLOCK' &&
	ok "export accepts a lower-case fingerprint" || notok "export of a lower-case fingerprint"

# ---- export: accepted by plain gpg ----
$K --home "$A" export "$FA" >"$T/a.asc" 2>"$T/exp.err"
rc=$?
[ $rc -eq 0 ] && head -1 "$T/a.asc" | grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' &&
	ok "export prints an armored public key" || notok "export: exit $rc $(head -c 200 "$T/exp.err")"
PG=$T/plaingpg
mkdir -m 700 "$PG"
gpg --homedir "$PG" --batch --import "$T/a.asc" >/dev/null 2>&1 &&
	gpg --homedir "$PG" --batch --with-colons --list-keys 2>/dev/null | grep -q "^fpr:*$(upper "$FA"):" &&
	ok "plain gpg --import accepts the export" || notok "plain gpg --import accepts the export"
[ -z "$(gpg --homedir "$PG" --batch --list-secret-keys 2>/dev/null)" ] &&
	ok "export carries no secret key" || notok "export carries a secret key"
gpgconf --homedir "$PG" --kill all >/dev/null 2>&1

# ---- enroll in another home, list, list --json ----
$K --home "$B" enroll "$T/a.asc" --party NLD >"$T/enr.out" 2>"$T/enr.err"
rc=$?
[ $rc -eq 0 ] && [ "$(upper "$(tr -d '\n' <"$T/enr.out")")" = "$(upper "$FA")" ] &&
	ok "enroll prints the fingerprint" ||
	notok "enroll: exit $rc stdout '$(head -c 100 "$T/enr.out")' $(head -c 300 "$T/enr.err")"
$K --home "$B" list >"$T/list" 2>"$T/list.err"
rc=$?
[ $rc -eq 0 ] && grep -i "$FA" "$T/list" | grep -qw NLD && ok "list shows the sender with its party" ||
	notok "list: exit $rc: $(head -c 300 "$T/list")"
$K --home "$B" list --json >"$T/list.json" 2>"$T/lj.err"
rc=$?
[ $rc -eq 0 ] && python3 -m json.tool "$T/list.json" >/dev/null 2>&1 &&
	grep -qi "$FA" "$T/list.json" && grep -q '"NLD"' "$T/list.json" &&
	ok "list --json is valid JSON with the fingerprint and party" ||
	notok "list --json: exit $rc: $(head -c 300 "$T/list.json")"
python3 - "$T/list.json" "$FA" <<'EOF' && ok "list --json: the sender is active, party NLD (MANUAL 2.7 fields)" || notok "list --json fields"
import json, sys
a = json.load(open(sys.argv[1]))
e = [x for x in a if x.get("fingerprint", "").upper() == sys.argv[2].upper()]
sys.exit(0 if len(e) == 1 and e[0].get("party") == "NLD" and e[0].get("status") == "active" else 1)
EOF

# ---- bad inputs: one line, the registry and keyring unchanged ----
state_of() {
	{ cat "$1/registry" 2>/dev/null
	  gpg --homedir "$1/gnupg" --batch --with-colons --list-keys 2>/dev/null | grep '^fpr'; } | sha256sum
}
unchanged() {	# unchanged NAME STATE-BEFORE
	[ "$(state_of "$B")" = "$2" ] && ok "$1: registry and keyring unchanged" ||
		notok "$1: registry or keyring changed"
}
echo "this is not an OpenPGP key" >"$T/notakey.asc"
$K --home "$A" generate --name "Carol Other" --email carol@example.org </dev/null >"$T/fc" 2>/dev/null
FC=$(cat "$T/fc")
$K --home "$A" export "$FC" >"$T/c.asc" 2>/dev/null
s0=$(state_of "$B")
fail_codes "export of a malformed fingerprint (65)" 65 $K --home "$B" export 1234ABCD
fail_codes "revoke of a malformed fingerprint (65)" 65 $K --home "$B" revoke "${FA:0:39}"
unchanged "malformed fingerprint" "$s0"
fail_codes "enroll of a file that is not a key (65)" 65 $K --home "$B" enroll "$T/notakey.asc" --party NLD
unchanged "not-a-key file" "$s0"
fail_codes "enroll of a missing file (66)" 66 $K --home "$B" enroll "$T/nosuch.asc" --party NLD
fail_codes "enroll twice (68)" 68 $K --home "$B" enroll "$T/a.asc" --party NLD
unchanged "enroll twice" "$s0"
fail_codes "enroll with a malformed party 'nld' (65)" 65 $K --home "$B" enroll "$T/c.asc" --party nld
fail_codes "enroll with a malformed party 'NL' (65)" 65 $K --home "$B" enroll "$T/c.asc" --party NL
fail_codes "enroll with a malformed party 'NLDX' (65)" 65 $K --home "$B" enroll "$T/c.asc" --party NLDX
unchanged "malformed party" "$s0"
fail_codes "enroll with an expiry in the past (65)" 65 $K --home "$B" enroll "$T/c.asc" --party DEU --expires 2020-01-01
fail_codes "enroll with a malformed expiry (65)" 65 $K --home "$B" enroll "$T/c.asc" --party DEU --expires 31-12-2099
unchanged "bad expiry" "$s0"
fail_codes "revoke of an unknown key (67)" 67 $K --home "$B" revoke "$FC"
unchanged "revoke unknown" "$s0"
fail_codes "export of a key not in the home (67)" 67 $K --home "$B" export 0123456789ABCDEF0123456789ABCDEF01234567
fail_codes "list in an uninitialised home (78)" 78 $K --home "$N" list
fail_codes "enroll in an uninitialised home (78)" 78 $K --home "$N" enroll "$T/a.asc" --party NLD
fail_codes "generate in an uninitialised home (78)" 78 $K --home "$N" generate --name X --email x@example.org
fail_codes "unknown command (64)" 64 $K --home "$B" frobnicate
fail_codes "enroll without --party (64)" 64 $K --home "$B" enroll "$T/c.asc"

# ---- a future expiry and doc types are accepted ----
check "enroll with --doc-types and a future --expires" \
	$K --home "$B" enroll "$T/c.asc" --party DEU --doc-types declaration,amendment --expires 2099-12-31
$K --home "$B" list >"$T/list2" 2>/dev/null
grep -i "$FC" "$T/list2" | grep -qw DEU && ok "list shows the second sender (DEU)" ||
	notok "list shows the second sender: $(head -c 300 "$T/list2")"

# ---- revoke ----
$K --home "$B" revoke "$FA" >"$T/rev.out" 2>"$T/rev.err"
rc=$?
[ $rc -eq 0 ] && ok "revoke exits 0" || notok "revoke: exit $rc $(head -c 300 "$T/rev.err")"
$K --home "$B" list >"$T/list3" 2>/dev/null
grep -i "$FA" "$T/list3" | grep -qi revoked && ok "list shows the key revoked" ||
	notok "list shows the key revoked: $(head -c 300 "$T/list3")"
$K --home "$B" list --json 2>/dev/null | python3 -c '
import json, sys
a = json.load(sys.stdin)
e = [x for x in a if x.get("fingerprint", "").upper() == sys.argv[1].upper()]
sys.exit(0 if len(e) == 1 and e[0].get("status") == "revoked" else 1)' "$FA" &&
	ok "list --json shows the key revoked" || notok "list --json shows the key revoked"
s1=$(state_of "$B")
fail_codes "revoke twice (68)" 68 $K --home "$B" revoke "$FA"
[ "$(state_of "$B")" = "$s1" ] && ok "revoke twice: registry unchanged" || notok "revoke twice changed the registry"
fail_codes "re-enroll a revoked key (68)" 68 $K --home "$B" enroll "$T/a.asc" --party NLD
[ "$(state_of "$B")" = "$s1" ] && ok "re-enroll revoked: registry unchanged" || notok "re-enroll revoked changed the registry"

# ---- SIX_HOME instead of --home ----
check "SIX_HOME: init" env SIX_HOME="$E" $K init
roots_ok "$E" && ok "SIX_HOME: layout made in \$SIX_HOME" || notok "SIX_HOME: layout made in \$SIX_HOME"
FE=$(SIX_HOME="$E" $K generate --name "Env User" --email env@example.org </dev/null 2>/dev/null)
is_fpr "$FE" && ok "SIX_HOME: generate prints a fingerprint" || notok "SIX_HOME: generate: '$FE'"
SIX_HOME="$E" $K import "$T/a.asc" >/dev/null 2>"$T/imp.err" &&
	gpg --homedir "$E/gnupg" --batch --with-colons --list-keys 2>/dev/null | grep -q "^fpr:*$(upper "$FA"):" &&
	ok "SIX_HOME: import puts the key into \$SIX_HOME/gnupg" || notok "SIX_HOME: import: $(head -c 300 "$T/imp.err")"
check "SIX_HOME: enroll" env SIX_HOME="$E" $K enroll "$T/c.asc" --party OPCW
SIX_HOME="$E" $K list 2>/dev/null | grep -i "$FC" | grep -qw OPCW && ok "SIX_HOME: list shows the OPCW sender" ||
	notok "SIX_HOME: list shows the OPCW sender"
[ ! -s "$B/registry" ] || ! grep -qi "OPCW" "$B/registry" && ok "SIX_HOME did not touch another home" ||
	notok "SIX_HOME touched another home"
fail_codes "import of a file that is not a key (65)" 65 $K --home "$E" import "$T/notakey.asc"

#!/usr/bin/env bash
# The audit log as the real tools write it, checked against formats/audit-log.md with
# the verifiers printed in that spec (extracted from it, so the spec's own snippets are
# what is tested): enrol, pack, unpack, replay, revoke; then tampering of every kind
# must be caught at the right line, and concurrent six-unpack runs keep one chain.
# (tests/unit/test_audit.c covers the library; this covers the tools and the spec.)
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/hostile/bundles/lib.sh"

SPEC=$SIX_TOP/formats/audit-log.md
awk '/^```python$/{f=1;next} /^```$/{f=0} f' "$SPEC" >"$T/verify.py"
awk '/^```sh$/{f=1;next} /^```$/{f=0} f' "$SPEC" >"$T/verify.sh"
[ -s "$T/verify.py" ] && [ -s "$T/verify.sh" ] && ok "spec has a python and a sh verifier" ||
	notok "spec has a python and a sh verifier"

unpack_setup || { notok "setup: homes and keys"; exit 1; }
LOG=$R/audit/audit.log
printf 'Declaration of 2026\n' >"$T/decl.txt"
pack() { six-pack --home "$S" -r "$RFPR" --party NLD -t declaration -o "$T/$1.six" "$T/decl.txt" >/dev/null; }
pack b1 && six-unpack --home "$R" "$T/b1.six" >/dev/null &&
	ok "a bundle delivered" || notok "a bundle delivered"
six-unpack --home "$R" "$T/b1.six" >/dev/null 2>&1
[ $? -eq 26 ] && ok "its replay refused" || notok "its replay refused"
# a crash mid-append leaves a torn line: the next event cuts it and links to line 5
printf '{"index":6,"time":"2026-' >>"$LOG"
pack b2 && six-unpack --home "$R" "$T/b2.six" >/dev/null &&
	ok "delivered after a torn line" || notok "delivered after a torn line"
# concurrent six-unpack runs (each appends received + delivered) keep one chain
for i in 1 2 3 4; do pack "c$i" || notok "pack c$i"; done
for i in 1 2 3 4; do six-unpack --home "$R" "$T/c$i.six" >/dev/null 2>"$T/c$i.err" & done
wait
six-keyring --home "$R" revoke "$SFPR" >/dev/null && ok "sender revoked" || notok "sender revoked"

# each line: the spec's member order, the events and fields of its table
check "python verifier accepts the tools' log" python3 "$T/verify.py" "$LOG"
grep -q "^ok: 16 records" "$T/.out" && ok "16 records, indexes 1..16" ||
	{ notok "16 records, indexes 1..16"; cat "$T/.out"; }
check "sh verifier accepts the tools' log" sh "$T/verify.sh" "$LOG"
cat >"$T/fields.py" <<'EOF'
import json, sys
want = {
    "key-enrolled": "fingerprint party name doc_types expires",
    "key-revoked": "fingerprint party name doc_types expires",
    "received": "bundle",
    "delivered": "bundle sha256 signer bundle_id sender party sequence doc_type classification dir",
    "rejected": "bundle sha256 signer bundle_id sender party sequence doc_type classification class reason dir",
}
seen = []
for raw in open(sys.argv[1], "rb"):
    keys = list(json.loads(raw))
    ev = json.loads(raw)["event"]
    seen.append(ev)
    got = " ".join(k for k in keys[3:-1] if k != "gap")
    if got != want[ev]:
        sys.exit(f"{ev}: fields '{got}', spec says '{want[ev]}'")
print(" ".join(seen))
EOF
check "every record has the spec's fields, in order" python3 "$T/fields.py" "$LOG"
ev=$(cat "$T/.out")
[[ $ev == "key-enrolled received delivered received rejected received delivered "*" key-revoked" ]] &&
	[ "$(grep -o delivered <<<"$ev" | wc -l)" -eq 6 ] && [ "$(grep -o received <<<"$ev" | wc -l)" -eq 7 ] &&
	ok "events: enrolled, received/delivered, received/rejected, 5 x received/delivered, revoked" ||
	{ notok "events in order"; echo "# $ev"; }
grep -q '"class":"replay"' "$LOG" && ok "rejected record names the class" ||
	notok "rejected record names the class"

# tampering: each kind is caught, at the line the spec says
tamper() { # NAME LINE-REGEX SED-SCRIPT
	cp "$LOG" "$T/t.log"
	sed -i "$3" "$T/t.log"
	if python3 "$T/verify.py" "$T/t.log" >/dev/null 2>"$T/t.err"; then
		notok "$1 detected"
	elif grep -qE "$2" "$T/t.err" && ! sh "$T/verify.sh" "$T/t.log" >/dev/null; then
		ok "$1 detected ($(head -c 60 "$T/t.err"))"
	else
		notok "$1 detected at the right line"; echo "# $(cat "$T/t.err")"
	fi
}
tamper "an edited field" "^line 4: chain" '3s/"sequence":"1"/"sequence":"2"/'
tamper "a deleted line" "^line 2: " '2d'
tamper "two lines swapped" "^line 2: " '2{h;d};3G'
tamper "an inserted line" "^line 2: " '1p'
tamper "an edited time" "^line 2: chain" '1s/"time":"20/"time":"19/'
cp "$LOG" "$T/t.log"
printf '{"index":17,"time":"2026-' >>"$T/t.log"
python3 "$T/verify.py" "$T/t.log" 2>&1 | grep -q "^line 17: torn final line" &&
	ok "a torn final line is reported as torn" || notok "a torn final line is reported as torn"

[ "$(stat -c %a "$LOG")" = 600 ] && ok "audit.log is 0600" || notok "audit.log is 0600"

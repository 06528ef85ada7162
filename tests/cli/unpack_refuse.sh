#!/usr/bin/env bash
# six-unpack's checks 1, 2, 4 and 5 (formats/bundle.md): decryption, the one good
# signature, the registry, the manifest's binding to signer, recipient, party, doc type
# and clock, and replays. Every refusal: its exit status, one line, quarantine with the
# reason, an audit record, nothing in the inbox.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/hostile/bundles/lib.sh"

unpack_setup || { notok "setup: homes and keys"; exit 1; }
X=$(inithome x) && B=$(inithome b) || { notok "setup: more homes"; exit 1; }
_homes+=("$X" "$B")
XFPR=$(genkey "$X" stranger)	# a key nobody enrolled
BFPR=$(genkey "$B" other)	# another enclave, which also enrolled S
six-keyring --home "$B" enroll "$T/s.asc" --party NLD >/dev/null
six-keyring --home "$B" export "$BFPR" >"$T/b.asc"
six-keyring --home "$R" import "$T/b.asc" >/dev/null	# so R can forward to B
six-keyring --home "$X" import "$T/r.asc" >/dev/null
six-keyring --home "$S" import "$T/b.asc" >/dev/null

# ---- check 1: decryption ----
mk plain
gpg --homedir "$S/gnupg" --batch --quiet --sign -u "$SFPR" -o "$T/signonly.six" "$T/plain.tgz"
refused "signed but not encrypted" 20 decrypt "no encrypted OpenPGP message" "$T/signonly.six"
gpg --homedir "$S/gnupg" --batch --quiet --trust-model always --encrypt --compress-algo none \
	-r "$RFPR" -o "$T/enconly.six" "$T/plain.tgz"
refused "encrypted but not signed" 21 signature "not signed" "$T/enconly.six"
seal "$S" "$SFPR" "$T/plain.tgz" "$T/notforus.six" "$BFPR"
refused "encrypted to another key only" 20 decrypt "not encrypted to a key of this home" \
	"$T/notforus.six"
cp "$T/plain.six" "$T/flip.six"
size=$(stat -c %s "$T/flip.six")
printf '\xff' | dd of="$T/flip.six" bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -s "$T/flip.six" "$T/plain.six" || printf '\x00' |
	dd of="$T/flip.six" bs=1 seek=$((size / 2)) conv=notrunc status=none
refused "one byte flipped in the ciphertext" 20 decrypt "decrypt|corrupt" "$T/flip.six"
head -c $((size - 40)) "$T/plain.six" >"$T/trunc.six"
refused "truncated ciphertext" 20 decrypt "decrypt|corrupt" "$T/trunc.six"
gpg --homedir "$S/gnupg" --batch --quiet --trust-model always --sign --encrypt --rfc2440 \
	--cipher-algo AES256 --compress-algo none -u "$SFPR" -r "$RFPR" -o "$T/nomdc.six" \
	"$T/plain.tgz" 2>/dev/null
refused "encrypted without integrity protection (no MDC)" 20 decrypt "no integrity protection" \
	"$T/nomdc.six"
# an OpenPGP compressed packet of 50 MB of zeros (50 KB sealed): gpg's --max-output stops
# it before the signature could be checked, with little written to staging
head -c 50000000 /dev/zero | gpg --homedir "$S/gnupg" --batch --quiet --trust-model always \
	--sign --encrypt --compress-algo zlib -z 9 -u "$SFPR" -r "$RFPR" -o "$T/pgpbomb.six" 2>/dev/null
refused "an OpenPGP compression bomb" 20 decrypt "stopped before the signature" "$T/pgpbomb.six"
head -c 5000 /dev/urandom >"$T/noise.six"
refused "random bytes" 20 decrypt "." "$T/noise.six"
: >"$T/empty.six"
refused "empty file" 20 decrypt "." "$T/empty.six"

# ---- check 2: the signature and the registry ----
seal "$X" "$XFPR" "$T/plain.tgz" "$T/forged.six" "$RFPR"
refused "signed by an unknown key (forged)" 22 sender "unknown here|not registered" "$T/forged.six"
six-keyring --home "$X" export "$XFPR" >"$T/x.asc"
six-keyring --home "$R" import "$T/x.asc" >/dev/null
seal "$X" "$XFPR" "$T/plain.tgz" "$T/known.six" "$RFPR"
refused "signer's key known but not enrolled" 22 sender "not registered" "$T/known.six"
python3 "$MK" --out "$T/two.tgz" --sender "$SFPR" --recipient "$RFPR" --seq 90
# two signers: S's secret key joins X's keyring for this one message
gpg --homedir "$S/gnupg" --batch --quiet --pinentry-mode loopback --passphrase '' \
	--export-secret-keys "$SFPR" | gpg --homedir "$X/gnupg" --batch --quiet --import 2>/dev/null
gpg --homedir "$X/gnupg" --batch --quiet --trust-model always --sign --encrypt \
	--compress-algo none -u "$SFPR" -u "$XFPR" -r "$RFPR" -o "$T/twosig.six" "$T/two.tgz" \
	2>/dev/null
refused "two signatures" 21 signature "2 signatures" "$T/twosig.six"

# a signing subkey counts as its primary key (smartcards sign with subkeys)
gpg --homedir "$S/gnupg" --batch --quiet --passphrase '' --quick-add-key "$SFPR" ed25519 sign 1y
SUB=$(gpg --homedir "$S/gnupg" --with-colons --list-keys "$SFPR" |
	awk -F: '/^sub/ {s=$12} /^fpr/ && s ~ /s/ {f=$10} END {print f}')
python3 "$MK" --out "$T/sub.tgz" --sender "$SFPR" --recipient "$RFPR" --seq 100
six-keyring --home "$S" export "$SFPR" >"$T/s2.asc"
gpg --homedir "$R/gnupg" --batch --quiet --import "$T/s2.asc" 2>/dev/null
seal "$S" "$SUB!" "$T/sub.tgz" "$T/sub.six" "$RFPR"
delivered "signed by a signing subkey: delivered as its primary" "$T/sub.six"
grep -qx "Signer: $SUB" "$LAST_DIR/SIX-VERIFIED" && grep -qx "Sender: $SFPR" "$LAST_DIR/SIX-VERIFIED" &&
	ok "SIX-VERIFIED names the subkey and its primary" ||
	notok "SIX-VERIFIED names the subkey and its primary"

# ---- check 4: the manifest against signer, this home, the registry, the clock ----
mk wrongsender --sender "$XFPR"
refused "Sender is not the signer" 24 binding "is not the signer" "$T/wrongsender.six"
mk wrongparty --party OPCW
refused "Party differs from the registry" 24 binding "Party OPCW" "$T/wrongparty.six"
mk badtype --doc-type memo
refused "Doc-Type not configured" 24 binding "memo" "$T/badtype.six"
mk badclass --class "TOP SECRET"
refused "Classification not configured" 24 binding "TOP SECRET" "$T/badclass.six"
mk stale --created=-40d
refused "created 40 days ago" 25 freshness "older than" "$T/stale.six"
mk future --created=+3600s
refused "created an hour ahead" 25 freshness "in the future" "$T/future.six"
printf 'max-age-days = 50\n' >"$R/six.conf"
mk stale_ok --created=-40d
delivered "max-age-days in six.conf is honoured" "$T/stale_ok.six"
rm -f "$R/six.conf"
mk skew_ok --created=+100s
delivered "a clock 100 s ahead is within the skew" "$T/skew_ok.six"

# recipient binding (surreptitious forwarding): S signed a bundle for B (its manifest
# names B), and B re-encrypted the signed message to R. R sees a good signature by an
# enrolled sender, encrypted to R, but the signed manifest does not name R.
python3 "$MK" --out "$T/fwd.tgz" --sender "$SFPR" --recipient "$BFPR" --seq 77
seal "$S" "$SFPR" "$T/fwd.tgz" "$T/fwd.six" "$RFPR"
refused "signed for another enclave, forwarded here" 24 binding "no Recipient" "$T/fwd.six"

# doc types restricted per sender: S2 may send declarations only
S2=$(inithome s2) && _homes+=("$S2")
S2FPR=$(genkey "$S2" second)
six-keyring --home "$S2" export "$S2FPR" >"$T/s2k.asc"
six-keyring --home "$R" enroll "$T/s2k.asc" --party DEU --doc-types declaration >/dev/null
python3 "$MK" --out "$T/s2r.tgz" --sender "$S2FPR" --recipient "$RFPR" --party DEU \
	--doc-type report --seq 1
gpg --homedir "$S2/gnupg" --batch --quiet --import "$T/r.asc" 2>/dev/null
seal "$S2" "$S2FPR" "$T/s2r.tgz" "$T/s2r.six" "$RFPR"
refused "Doc-Type not allowed for this sender" 24 binding "report" "$T/s2r.six"
python3 "$MK" --out "$T/s2d.tgz" --sender "$S2FPR" --recipient "$RFPR" --party DEU --seq 2
seal "$S2" "$S2FPR" "$T/s2d.tgz" "$T/s2d.six" "$RFPR"
delivered "an allowed Doc-Type from a restricted sender" "$T/s2d.six"

# revoked and expired senders
mk before_revoke
six-keyring --home "$R" revoke "$S2FPR" >/dev/null
python3 "$MK" --out "$T/s2x.tgz" --sender "$S2FPR" --recipient "$RFPR" --party DEU --seq 3
seal "$S2" "$S2FPR" "$T/s2x.tgz" "$T/s2x.six" "$RFPR"
refused "revoked sender" 22 sender "revoked" "$T/s2x.six"
cp "$R/registry" "$T/registry.saved"
sed -i "s/^\($SFPR\t[^\t]*\t[^\t]*\t[^\t]*\t\)[^\t]*/\12020-01-01T00:00:00Z/" "$R/registry"
refused "expired sender" 22 sender "expired" "$T/before_revoke.six"
cp "$T/registry.saved" "$R/registry"

# ---- check 5: replays ----
mk once
delivered "a fresh bundle is delivered" "$T/once.six"
refused "the same bundle again" 26 replay "already delivered" "$T/once.six"
SEQ=$((SEQ - 1))
mk sameseq
refused "another bundle with a used sequence number" 26 replay "sequence [0-9]+ of $SFPR" \
	"$T/sameseq.six"
id=$(sed -n 's/^Bundle-Id: //p' "$LAST_DIR/SIX-MANIFEST")
mk sameid --id "$id"
refused "another bundle with a used Bundle-Id" 26 replay "bundle id $id" "$T/sameid.six"
SEQ=$((SEQ + 5))
mk ahead
delivered "a gap in the sequence is delivered" "$T/ahead.six"
tail -1 "$R/audit/audit.log" | grep -q '"gap":' && ok "the gap is reported in the audit log" ||
	notok "the gap is reported in the audit log"
SEQ=$((SEQ - 3))
mk behind
delivered "out of order (an earlier sequence, later) is delivered" "$T/behind.six"

# sequence numbers count per sender and recipient set (DESIGN.md): number 500 to R
# alone and number 500 to R and B are two bundles, both delivered to R; a third
# number 500 to the same set (Recipient lines in another order) is a replay
python3 "$MK" --out "$T/set1.tgz" --sender "$SFPR" --recipient "$RFPR" --seq 500
seal "$S" "$SFPR" "$T/set1.tgz" "$T/set1.six" "$RFPR"
python3 "$MK" --out "$T/set2.tgz" --sender "$SFPR" --recipient "$RFPR" --recipient "$BFPR" --seq 500
seal "$S" "$SFPR" "$T/set2.tgz" "$T/set2.six" "$RFPR" "$BFPR"
python3 "$MK" --out "$T/set3.tgz" --sender "$SFPR" --recipient "$BFPR" --recipient "$RFPR" --seq 500
seal "$S" "$SFPR" "$T/set3.tgz" "$T/set3.six" "$RFPR" "$BFPR"
delivered "sequence 500 to {R}: delivered" "$T/set1.six"
delivered "sequence 500 to {R, B} from the same sender: delivered too" "$T/set2.six"
refused "sequence 500 to {B, R} again (another order, same set)" 26 replay \
	"sequence 500 of $SFPR to this recipient set" "$T/set3.six"

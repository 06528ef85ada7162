# Helpers for the six-unpack CLI tests (tests/cli/unpack*.sh), sourced after
# tests/cli/lib.sh. Keys are made here, at test time, never committed: a sender home S
# (key SFPR, enrolled at R for party NLD), the receiving home R (key RFPR), and on
# demand others. Bundles are built by hand (mkbundle.py: Python's tarfile + gzip) and
# sealed with plain gpg --sign --encrypt, exactly as formats/bundle.md describes, so
# every test is also an interoperability test against SIX's own code.
MK="$SIX_TOP/tests/hostile/bundles/mkbundle.py"
U=six-unpack

# genkey HOME NAME: a passphrase-less key in HOME; prints its fingerprint
genkey() {
	six-keyring --home "$1" generate --name "$2" --email "$2@example.org" --no-passphrase \
		2>/dev/null
}

# unpack_setup: S and R, with S enrolled at R (party NLD) and R's key known to S
unpack_setup() {
	S=$(inithome s) && R=$(inithome r) || return 1
	_homes+=("$S" "$R")
	SFPR=$(genkey "$S" sender) && RFPR=$(genkey "$R" enclave) || return 1
	six-keyring --home "$S" export "$SFPR" >"$T/s.asc" &&
		six-keyring --home "$R" export "$RFPR" >"$T/r.asc" &&
		six-keyring --home "$R" enroll "$T/s.asc" --party NLD >/dev/null &&
		six-keyring --home "$S" import "$T/r.asc" >/dev/null
}

# seal HOME SIGNER_FPR IN OUT RECIPIENT...: sign with HOME's key, encrypt, no compression
seal() {
	local h=$1 u=$2 in=$3 out=$4 r args=()
	shift 4
	for r in "$@"; do args+=(-r "$r"); done
	gpg --homedir "$h/gnupg" --batch --yes --quiet --trust-model always --sign --encrypt \
		--compress-algo none -u "$u" "${args[@]}" -o "$out" "$in" 2>/dev/null
}

# mk NAME [mkbundle args...]: $T/NAME.six from S to R with the next sequence number
SEQ=0
mk() {
	local name=$1
	shift
	SEQ=$((SEQ + 1))
	python3 "$MK" --out "$T/$name.tgz" --sender "$SFPR" --recipient "$RFPR" --party NLD \
		--seq "$SEQ" "$@" && seal "$S" "$SFPR" "$T/$name.tgz" "$T/$name.six" "$RFPR"
}

# count_dirs DIR: entries two levels below (inbox/PARTY/BUNDLE) or one (quarantine/X)
inbox_count() { find "$R/inbox" -mindepth 2 -maxdepth 2 -type d | wc -l; }
quar_count() { find "$R/quarantine" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l; }

# refused NAME STATUS CLASS REGEX BUNDLE: six-unpack refuses BUNDLE with STATUS and one
# line matching REGEX; nothing reaches the inbox; a new quarantine entry holds the
# bundle and a reason of CLASS; the audit log's last record is the rejection; the
# staging area is empty again.
refused() {
	local name=$1 status=$2 class=$3 pat=$4 bundle=$5
	local inb qb
	inb=$(inbox_count)
	qb=$(quar_count)
	expect_fail "$name: exit $status, one line" "$status" "$pat" $U --home "$R" "$bundle"
	local q why=""
	q=$(ls -td "$R"/quarantine/[!.]* 2>/dev/null | head -1)
	[ "$(inbox_count)" -eq "$inb" ] || why="inbox changed"
	[ "$(quar_count)" -eq $((qb + 1)) ] || why="$why; no new quarantine entry"
	[ -n "$q" ] && cmp -s "$q/bundle.six" "$bundle" || why="$why; bundle not in quarantine"
	[ -n "$q" ] && grep -qx "class: $class" "$q/reason" || why="$why; reason lacks class $class"
	tail -1 "$R/audit/audit.log" | grep -q "\"event\":\"rejected\".*\"class\":\"$class\"" ||
		why="$why; audit lacks the rejection"
	[ -z "$(ls -A "$R/state/staging")" ] || why="$why; staging not cleaned"
	if [ -z "$why" ]; then ok "$name: quarantined, audited, inbox untouched"; else
		notok "$name: quarantined, audited, inbox untouched"; echo "# $why"; fi
}

# delivered NAME BUNDLE SRC...: six-unpack delivers BUNDLE; its payload equals the
# files SRC (PATH=FILE pairs) byte for byte; prints nothing else
delivered() {
	local name=$1 bundle=$2
	shift 2
	local out why="" p f
	out=$($U --home "$R" "$bundle" 2>"$T/.err")
	local rc=$?
	[ $rc -eq 0 ] || why="exit $rc: $(head -c 300 "$T/.err")"
	[ -z "$why" ] && { [ -d "$out/payload" ] && [ -s "$out/SIX-MANIFEST" ] &&
		[ -s "$out/SIX-VERIFIED" ] || why="bad layout in '$out'"; }
	for p in "$@"; do
		f=${p#*=}
		[ -z "$why" ] && { cmp -s "$out/payload/${p%%=*}" "$f" || why="${p%%=*} differs"; }
	done
	LAST_DIR=$out
	if [ -z "$why" ]; then ok "$name"; else notok "$name"; echo "# $why"; fi
}

#!/usr/bin/env bash
# six-xferd export / import: removable media. Round trip byte for byte, the cover
# sheet's QR code scans (zbarimg), every kind of tampering is named and nothing is
# imported, re-import is idempotent, and a failed export leaves new/ as it was.
. "$(dirname "$0")/lib.sh"

X=six-xferd
out=$T/out
mkdir -p "$out"/tmp "$out"/new "$out"/cur "$T/orig"
# Bundles are opaque to the transfer: any bytes do. One name has a space in it.
head -c 70000 /dev/urandom >"$T/orig/NLD-42-abc.six"
head -c 1 /dev/urandom >"$T/orig/OPCW-7-def.six"
head -c 300000 /dev/urandom >"$T/orig/DEU-3-x y.six"
cp "$T"/orig/* "$out/new/"
names=("DEU-3-x y.six" "NLD-42-abc.six" "OPCW-7-def.six")

# value KEY FILE: the value of a "Key: value" line
value() { sed -n "s/^$1: //p" "$2"; }

# same_files DIR [N]: DIR holds the original bundles byte for byte, N entries in all
same_files() {
	[ "$(ls -A "$1" | wc -l)" -eq "${2:-3}" ] || return 1
	local n
	for n in "${names[@]}"; do cmp -s "$T/orig/$n" "$1/$n" || return 1; done
}

usb=$T/usb
mkdir "$usb"
: >"$out/tmp/dead-writer" && touch -d '40 hours ago' "$out/tmp/dead-writer"
check "export writes the bundles to the medium" $X export --outbox "$out" --media "$usb" \
	--qr "$T/cover.png"
cp "$T/.out" "$T/export.out"
check "export swept the outbox tmp/ of a file untouched for 40 hours" test ! -e "$out/tmp/dead-writer"
digest=$(value Manifest-SHA256 "$T/export.out")
payload="SIX-MEDIA:1:3:$digest"
if same_files "$usb" 4 && [ -z "$(ls -A "$out/new")" ] && same_files "$out/cur"; then
	ok "export copied every bundle and only then moved them new/ -> cur/"
else notok "export: medium or spool not as expected"; ls -la "$usb" "$out"/*; fi
if [ "$digest" = "$(sha256sum <"$usb/SIX-MEDIA" | cut -c1-64)" ] &&
	[ "$(value Bundles "$T/export.out")" = 3 ] &&
	[ "$(value QR-Payload "$T/export.out")" = "$payload" ]; then
	ok "cover sheet: the manifest's SHA-256 and the bundle count"
else notok "cover sheet text"; cat "$T/export.out"; fi
if [ "$(sed -n 's/^Files: //p' "$usb/SIX-MEDIA")" = 3 ] &&
	grep -qx "File: $(sha256sum <"$T/orig/DEU-3-x y.six" | cut -c1-64) 300000 DEU-3-x y.six" \
		"$usb/SIX-MEDIA"; then
	ok "the manifest lists each bundle's SHA-256, size and name"
else notok "manifest content"; cat "$usb/SIX-MEDIA"; fi
scanned=$(zbarimg --raw -q "$T/cover.png" 2>/dev/null)
if [ "$scanned" = "$payload" ]; then ok "the PNG QR code scans (zbarimg) to exactly the payload"
else notok "zbarimg read '$scanned', want '$payload'"; fi

# import: the digest printed is the cover sheet's, the bundles arrive byte for byte
in=$T/in
check "import delivers a good medium" $X import --media "$usb" --inbox "$in" --expect "$scanned"
cp "$T/.out" "$T/import.out"
if [ "$(value Manifest-SHA256 "$T/import.out")" = "$digest" ] && same_files "$in/new" &&
	[ -z "$(ls "$in/tmp")" ] && [ "$(value Imported "$T/import.out")" = 3 ]; then
	ok "round trip byte-identical; import printed the cover sheet's digest"
else notok "import result"; cat "$T/import.out"; ls -la "$in"/*; fi
before=$(tree_sum "$in")
check "re-import of the same medium succeeds" $X import --media "$usb" --inbox "$in"
if [ "$(value Already-Imported "$T/.out")" = 3 ] && [ "$(tree_sum "$in")" = "$before" ]; then
	ok "re-import is idempotent: nothing delivered twice"
else notok "re-import changed the spool"; cat "$T/.out"; fi
mv "$in/new/NLD-42-abc.six" "$in/cur/"
check "re-import after a bundle moved on to cur/" $X import --media "$usb" --inbox "$in"
if [ "$(value Already-Imported "$T/.out")" = 3 ] && [ ! -e "$in/new/NLD-42-abc.six" ]; then
	ok "a bundle already consumed (cur/) is not delivered again"
else notok "bundle in cur/ was delivered again"; fi

# import_fails NAME STATUS MEDIUM PATTERN...: exit STATUS, exactly one stderr line,
# "six-xferd: medium refused, nothing imported: ...", naming each problem; each PATTERN
# matches one "refused: " report line on stdout; a fresh inbox spool is left empty
# (tmp/ included).
import_fails() {
	local name=$1 want=$2 medium=$3 pat bad=""
	shift 3
	rm -rf "$T/in2"
	timeout 20 $X import --media "$medium" --inbox "$T/in2" >"$T/.out" 2>"$T/.err"
	local rc=$?
	[ "$rc" -eq "$want" ] || bad="exit $rc, want $want"
	[ "$(grep -c . "$T/.err")" -eq 1 ] || bad="$bad; want one stderr line"
	grep -q '^six-xferd: medium refused, nothing imported: ' "$T/.err" || bad="$bad; no summary"
	for pat in "$@"; do
		grep -qE -- "^refused: $pat" "$T/.out" || bad="$bad; no /$pat/ on stdout"
		# the error line names the file too (the word and name before any ': why')
		grep -qF -- "$(printf '%s' "$pat" | sed -E 's/^([a-z]+): ([^:]*[^:$]).*/\1 \2/; s/\$$//; s/\\\\/\\/g; s/\\\[/[/g')" "$T/.err" ||
			bad="$bad; error line does not name /$pat/"
	done
	[ "$(grep -c '^refused: ' "$T/.out")" -eq $# ] || bad="$bad; want $# report lines"
	[ -z "$(find "$T/in2/new" "$T/in2/tmp" -mindepth 1)" ] || bad="$bad; inbox not empty"
	if [ -z "$bad" ]; then ok "$name"; else notok "$name: $bad"; cat "$T/.err" "$T/.out"; fi
}

# medium NAME: a fresh copy of the good medium
medium() { rm -rf "$T/$1"; cp -a "$usb" "$T/$1"; echo "$T/$1"; }

m=$(medium flip)
printf '\x00' | dd of="$m/NLD-42-abc.six" bs=1 seek=1234 conv=notrunc 2>/dev/null
cmp -s "$m/NLD-42-abc.six" "$usb/NLD-42-abc.six" && printf '\xff' |
	dd of="$m/NLD-42-abc.six" bs=1 seek=1234 conv=notrunc 2>/dev/null
import_fails "one flipped byte: named as altered, exit 27" 27 "$m" \
	"altered: NLD-42-abc.six: SHA-256 differs"
m=$(medium short)
truncate -s 69999 "$m/NLD-42-abc.six"
import_fails "a truncated file: altered, by its size" 27 "$m" \
	"altered: NLD-42-abc.six: 69999 bytes, manifest says 70000"
m=$(medium longer)
printf 'x' >>"$m/OPCW-7-def.six"
import_fails "a file grown by a byte: altered" 27 "$m" "altered: OPCW-7-def.six: larger than the manifest's 1 bytes"
m=$(medium missing)
rm "$m/DEU-3-x y.six"
import_fails "a missing file: named, exit 27" 27 "$m" "missing: DEU-3-x y.six$"
m=$(medium extra)
echo intruder >"$m/ZZZ-1-evil.six"
import_fails "an extra file: named as unexpected, exit 27" 27 "$m" "unexpected: ZZZ-1-evil.six$"
m=$(medium link)
rm "$m/NLD-42-abc.six"
ln -s "$usb/NLD-42-abc.six" "$m/NLD-42-abc.six"
import_fails "a symlink in place of a bundle is not followed: exit 28" 28 "$m" \
	"unsafe: NLD-42-abc.six: symbolic link, not followed"
m=$(medium link2)
ln -s /etc/shadow "$m/shadow"
import_fails "an extra symlink: unexpected and unsafe, exit 28" 28 "$m" \
	"unexpected: shadow: symbolic link"
m=$(medium fifo)
rm "$m/OPCW-7-def.six"
mkfifo "$m/OPCW-7-def.six"
import_fails "a FIFO in place of a bundle: refused without blocking" 28 "$m" \
	"unsafe: OPCW-7-def.six: not a regular file"
m=$(medium many)
rm "$m/DEU-3-x y.six"
printf 'X' | dd of="$m/OPCW-7-def.six" conv=notrunc 2>/dev/null
cmp -s "$m/OPCW-7-def.six" "$usb/OPCW-7-def.six" && printf 'Y' | dd of="$m/OPCW-7-def.six" conv=notrunc 2>/dev/null
echo x >"$m/$(printf 'evil\033[2Jname')"
import_fails "several problems: each named on its own line, control bytes escaped" 27 "$m" \
	"missing: DEU-3-x y.six" "altered: OPCW-7-def.six" 'unexpected: evil\\x1b\[2Jname'

# the manifest itself
m=$(medium nomanifest)
rm "$m/SIX-MEDIA"
expect_fail "a medium without SIX-MEDIA is refused (23)" 23 "no usable SIX-MEDIA" \
	$X import --media "$m" --inbox "$T/in3"
m=$(medium badmanifest)
sed -i 's/^Files: 3/Files: 4/' "$m/SIX-MEDIA"
expect_fail "a malformed SIX-MEDIA is refused (23)" 23 "SIX-MEDIA is malformed" \
	$X import --media "$m" --inbox "$T/in3"
m=$(medium linkmanifest)
mv "$m/SIX-MEDIA" "$T/real-manifest"
ln -s "$T/real-manifest" "$m/SIX-MEDIA"
expect_fail "a SIX-MEDIA that is a symlink is refused (23)" 23 "no usable SIX-MEDIA" \
	$X import --media "$m" --inbox "$T/in3"
m=$(medium editedmanifest)
# a consistent but different manifest: everything checks, but not the cover sheet's
sed -i 's/^Created: .*/Created: 2000-01-01T00:00:00Z/' "$m/SIX-MEDIA"
expect_fail "--expect: a manifest other than the cover sheet's is refused (27)" 27 \
	"not the one on the cover sheet" $X import --media "$m" --inbox "$T/in3" --expect "$payload"
expect_fail "--expect: a wrong bundle count is refused (27)" 27 "cover sheet" \
	$X import --media "$usb" --inbox "$T/in3" --expect "SIX-MEDIA:1:2:$digest"
expect_fail "--expect: garbage is a usage error (64)" 64 "--expect wants" \
	$X import --media "$usb" --inbox "$T/in3" --expect nonsense
if [ -z "$(ls -A "$T/in3/new" 2>/dev/null)" ]; then ok "refused media delivered nothing"
else notok "refused media delivered something"; fi

# a different file of the same name already in the spool: nothing imported
rm -rf "$T/in4"
mkdir -p "$T/in4"/{tmp,new,cur}
echo other >"$T/in4/cur/OPCW-7-def.six"
$X import --media "$usb" --inbox "$T/in4" >"$T/.out" 2>"$T/.err"
rc=$?
if [ "$rc" -eq 68 ] && grep -q "^refused: conflict: OPCW-7-def.six: a different file" "$T/.out" &&
	grep -q "^six-xferd: medium refused, nothing imported: 1 problem: conflict OPCW-7-def.six" "$T/.err" &&
	[ -z "$(find "$T/in4/new" "$T/in4/tmp" -mindepth 1)" ]; then
	ok "a different file of the same name in the spool: conflict (68), nothing imported"
else notok "conflict: exit $rc"; cat "$T/.err"; fi

# export: refusals leave new/ as it was
out2=$T/out2
mkdir -p "$out2"/{tmp,new,cur}
cp "$T"/orig/* "$out2/new/"
before=$(tree_sum "$out2")
expect_fail "export to a medium that is not empty is refused (68)" 68 "not empty" \
	$X export --outbox "$out2" --media "$usb"
mkdir "$T/empty"
expect_fail "export of an empty new/ (66)" 66 "nothing to export" \
	$X export --outbox "$T/in4" --media "$T/empty"
expect_fail "export from a directory that is not a spool (78)" 78 "not a spool" \
	$X export --outbox "$T/orig" --media "$T/empty"
expect_fail "export without --media is a usage error (64)" 64 "--media DIR is required" \
	$X export --outbox "$out2"
expect_fail "--qr with another ending is a usage error (64)" 64 "--qr wants" \
	$X export --outbox "$out2" --media "$T/empty" --qr "$T/cover.jpg"
expect_fail "import: unknown option (64)" 64 "unknown option --bogus" $X import --bogus
if [ "$(tree_sum "$out2")" = "$before" ] && [ -z "$(ls -A "$T/empty")" ]; then
	ok "refused exports left the spool and the medium untouched"
else notok "a refused export changed something"; fi

# a full medium and a read-only one (tmpfs mounts: root only)
mnt=$T/mnt
mkdir "$mnt"
# never leave a tmpfs mounted under $T, whatever happens below
trap 'umount "$mnt" 2>/dev/null; cleanup' EXIT
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
	expect_fail "export to a full medium fails (74)" 74 "No space left" \
		$X export --outbox "$out2" --media "$mnt"
	if [ "$(tree_sum "$out2")" = "$before" ] && [ -z "$(ls -A "$mnt")" ]; then
		ok "after a full medium: new/ untouched, the medium emptied again"
	else notok "full medium: spool or medium changed"; ls -la "$mnt" "$out2"/*; fi
	mount -o remount,ro "$mnt"
	expect_fail "export to a read-only medium fails (73)" 73 "cannot create" \
		$X export --outbox "$out2" --media "$mnt"
	[ "$(tree_sum "$out2")" = "$before" ] && ok "after a read-only medium: new/ untouched" ||
		notok "read-only medium: spool changed"
	umount "$mnt"
	# import from a read-only medium, as it should be mounted
	if mount -t tmpfs -o size=1m tmpfs "$mnt"; then
		cp -a "$usb"/. "$mnt"/ && mount -o remount,ro "$mnt"
		rm -rf "$T/in5"
		check "import from a read-only mounted medium" $X import --media "$mnt" --inbox "$T/in5"
		same_files "$T/in5/new" && ok "read-only medium imported byte for byte" ||
			notok "read-only import content"
		umount "$mnt"
	fi
else
	for t in "full medium" "full medium leaves new/" "read-only medium" \
		"read-only medium leaves new/" "import read-only" "import read-only content"; do
		echo "ok - $t # SKIP needs root to mount a tmpfs"
	done
fi

# the other cover-sheet forms
mkdir "$T/usb6"
cp "$T"/orig/* "$out2/new/" 2>/dev/null
check "export with an SVG cover sheet" $X export --outbox "$out2" --media "$T/usb6" --qr "$T/cover.svg"
if python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert r.tag == "{http://www.w3.org/2000/svg}svg", r.tag
p = r.findall("{http://www.w3.org/2000/svg}path")
assert len(p) == 1 and p[0].get("d").startswith("M")' "$T/cover.svg"; then
	ok "the SVG cover sheet is well-formed SVG with the symbol's path"
else notok "SVG cover sheet"; fi
mkdir -p "$T/out7"/{tmp,new,cur} "$T/usb7"
cp "$T/orig/OPCW-7-def.six" "$T/out7/new/"
check "export with a terminal QR (--qr -)" $X export --outbox "$T/out7" --media "$T/usb7" --qr -
if grep -q "$(printf '\033\[30;107m')" "$T/.out" && grep -q '█' "$T/.out" &&
	grep -q "^Manifest-SHA256: $(sha256sum <"$T/usb7/SIX-MEDIA" | cut -c1-64)$" "$T/.out"; then
	ok "--qr - prints the digest and the QR in half blocks"
else notok "terminal cover sheet"; fi
check "export --help" $X export --help
grep -q "^usage: six-xferd export --outbox SPOOL --media DIR" "$T/.out" &&
	grep -q "^exit:" "$T/.out" && ok "export --help shows the synopsis and exit codes" ||
	notok "export --help"
check "import --help" $X import --help
grep -q "^usage: six-xferd import --media DIR --inbox SPOOL" "$T/.out" &&
	ok "import --help shows the synopsis" || notok "import --help"

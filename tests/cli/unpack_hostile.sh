#!/usr/bin/env bash
# six-unpack against hostile archives: bundles correctly signed by a registered sender
# whose content is evil (tests/hostile/bundles/mkbundle.py --evil KIND). Each must be
# refused with its class's exit status and one line, land in quarantine with the
# reason, be audited, and leave the inbox untouched and nothing outside it written.
. "$(dirname "$0")/lib.sh"
. "$SIX_TOP/tests/hostile/bundles/lib.sh"

unpack_setup || { notok "setup: homes and keys"; exit 1; }

# hostile KIND STATUS CLASS REGEX
hostile() {
	mk "e_$1" --evil "$1" || { notok "build hostile bundle $1"; return; }
	refused "$1" "$2" "$3" "$4" "$T/e_$1.six"
}

# path escapes, named in the manifest (the manifest parser refuses them)
hostile abs 28 unsafe "absolute path"
hostile dotdot 28 unsafe "'\.\.'|\.\."
hostile dotdot2 28 unsafe "\.\."
hostile dotcomp 28 unsafe "'\.'"
hostile emptycomp 28 unsafe "empty component"
hostile ctrl 28 unsafe "control characters"
hostile longcomp 28 unsafe "longer than 255"
hostile nonutf8 28 unsafe "UTF-8"
# path escapes in the member's name only (the manifest is clean)
hostile m-abs 28 unsafe "unsafe member name '/tmp/six-evil'"
hostile m-dotdot 28 unsafe "unsafe member name 'payload/\.\./\.\./six-evil'"
hostile m-dotdot2 28 unsafe "unsafe member name 'payload/a/\.\./\.\./six-evil'"
# a control character is shown as '?': it never reaches the operator's terminal raw
hostile m-ctrl 28 unsafe "unsafe member name 'payload/a\?b'"
hostile m-nonutf8 28 unsafe "unsafe member name 'payload/bad\?name'|pax keyword 'hdrcharset' not allowed"
[ ! -e /tmp/six-evil ] && [ ! -e "$T/six-evil" ] && [ ! -e "$R/six-evil" ] &&
	[ ! -e "$R/inbox/six-evil" ] && ok "no escape wrote anything outside the staging area" ||
	notok "no escape wrote anything outside the staging area"
# member types other than regular files
hostile symlink 28 unsafe "symbolic link"
hostile hardlink 28 unsafe "hard link"
hostile device 28 unsafe "is a device"
hostile fifo 28 unsafe "FIFO"
hostile dirmember 28 unsafe "payload/evil/"
hostile xattr 28 unsafe "extended attributes"
# content against the manifest
hostile size 27 content "has 6 bytes, the manifest says 7"
hostile hash 27 content "SHA-256 of 'a.txt' differs"
hostile order 27 content "where the manifest has 'a.txt'"
hostile extra 27 content "extra member 'payload/extra.txt'"
hostile missing 27 content "'missing.txt' is missing"
hostile dupmember 27 content "extra member"
hostile m-outside 27 content "not under payload/"
# the manifest itself
hostile notfirst 23 manifest "first member is not SIX-MANIFEST"
hostile nomanifest 23 manifest "first member is not SIX-MANIFEST"
hostile unknownkey 23 manifest "unknown key 'X-Priority'"
hostile version2 23 manifest "version"
hostile manifest-symlink 23 manifest "not a regular file"

# plaintext that is not a gzip'd tar at all (signed and encrypted correctly)
printf 'just text\n' >"$T/text.txt"
seal "$S" "$SFPR" "$T/text.txt" "$T/text.six" "$RFPR"
refused "not a tar.gz" 23 manifest "gzip-compressed tar|SIX-MANIFEST|archive" "$T/text.six"
# the archive ends inside SIX-MANIFEST's data (found by fuzz_unpack_reader: this
# once freed the manifest twice in the reader)
mk mancut
python3 - "$T/mancut.tgz" "$T/mancut2.tgz" <<'PY'
import gzip, sys
tar = gzip.decompress(open(sys.argv[1], "rb").read())
open(sys.argv[2], "wb").write(gzip.compress(tar[:512 + 100]))
PY
seal "$S" "$SFPR" "$T/mancut2.tgz" "$T/mancut.six" "$RFPR"
refused "archive ends inside SIX-MANIFEST" 23 manifest "SIX-MANIFEST" "$T/mancut.six"

# a gzip stream cut short inside a member (signed and encrypted as it is)
head -c 200000 /dev/urandom >"$T/rand.bin"
mk good_for_cut --file big.bin=@"$T/rand.bin"
head -c 100000 "$T/good_for_cut.tgz" >"$T/cut.tgz"
seal "$S" "$SFPR" "$T/cut.tgz" "$T/cut.six" "$RFPR"
refused "truncated gzip stream" 27 content "big.bin" "$T/cut.six"

# decompression bomb: declared 10 bytes, 256 MiB of zeros in the archive; refused at
# its header, before a byte is expanded to disk, and quickly
mk bomb --evil bomb
start=$(date +%s%N)
refused "decompression bomb" 29 limit "larger than its declared 10 bytes" "$T/bomb.six"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 10000 ] && ok "bomb refused in ${ms} ms" || notok "bomb refused in ${ms} ms"
used=$(du -s "$R" | cut -f1)
[ "$used" -lt 20000 ] && ok "bomb wrote little (home is ${used} KiB)" ||
	notok "bomb wrote little (home is ${used} KiB)"

# a manifest past 1 MiB is a limit, refused before it is parsed
python3 - "$T/bigman.tgz" "$SFPR" "$RFPR" <<'PY'
import gzip, io, sys, tarfile
out, s, r = sys.argv[1:4]
text = ("Six-Bundle: 1\nBundle-Id: " + "ab" * 16 + "\nSubject: " + "x" * (1 << 20) + "\n").encode()
with gzip.open(out, "wb", compresslevel=1) as gz:
    with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("SIX-MANIFEST"); ti.size = len(text)
        t.addfile(ti, io.BytesIO(text))
PY
seal "$S" "$SFPR" "$T/bigman.tgz" "$T/bigman.six" "$RFPR"
refused "manifest over 1 MiB" 29 limit "larger than 1048576" "$T/bigman.six"

# six.conf limits are enforced: max-files 2 refuses a bundle of 3 files
printf 'max-files = 2\n' >"$R/six.conf"
mk three --file a=1 --file b=2 --file c=3
refused "more files than max-files" 29 limit "." "$T/three.six"
rm -f "$R/six.conf"

[ "$(inbox_count)" -eq 0 ] && ok "nothing hostile reached the inbox" ||
	notok "nothing hostile reached the inbox"

#!/usr/bin/env python3
"""Build a SIX bundle by hand, good or hostile, from DESIGN.md's "Bundle format v1
(FIXED essentials)" and formats/bundle.md only: a SIX-MANIFEST of Key: Value lines,
then payload/<path> members, as a gzip-compressed pax tar, signed and encrypted
with plain gpg. No SIX code is used, so a receiver cannot tell it from six-pack's.

mkbundle.py --case CASE --gnupg DIR --signer FPR --sender FPR --recipient FPR
            --encrypt-to FPR --party P --seq N --out FILE [--expect DIR]
            [--escape DIR] [--doc-type T] [--created-offset SECONDS]

--expect DIR: write the payload files as a receiver must deliver them (good cases).
--escape DIR: where traversal cases aim (absolute members point into it).
"""
import argparse, gzip, hashlib, io, os, subprocess, sys, tarfile, time


def parse():
    p = argparse.ArgumentParser()
    for k in ("case", "gnupg", "signer", "sender", "recipient", "encrypt-to", "party",
              "seq", "out"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--expect")
    p.add_argument("--escape", default="/nonexistent-six-escape")
    p.add_argument("--doc-type", default="declaration")
    p.add_argument("--created-offset", type=int, default=0)
    p.add_argument("--big", type=int, default=16 << 20, help="bomb's real size")
    p.add_argument("--bundle-id", default=None, help="instead of a random one")
    p.add_argument("--also-sign", default=None, help="a second signer (same --gnupg)")
    return p.parse_args()


def payload(case):
    """The payload files: (path, bytes). Random content so every bundle differs."""
    r = os.urandom
    files = [("doc.txt", b"Annual declaration\n" + r(64).hex().encode()),
             ("annex/table 1.csv", r(3000)),
             ("empty", b"")]
    if case == "good_utf8":
        files.append(("annex/d\u00e9claration \u00e9t\u00e9.txt".encode().decode(), r(10)))
    if case == "good_big":
        files.append(("big.bin", r(2 << 20)))
    return files


def manifest_fields(a, files):
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + a.created_offset))
    bid = a.bundle_id or os.urandom(16).hex()
    f = [("Six-Bundle", "1"), ("Bundle-Id", bid), ("Created", created),
         ("Sender", a.sender.upper()), ("Recipient", a.recipient.upper()),
         ("Party", a.party), ("Sequence", str(a.seq)), ("Doc-Type", a.doc_type),
         ("Classification", "RESTRICTED"), ("Subject", "contract test " + a.case)]
    for path, data in files:
        f.append(("File", "%s %d %s" % (hashlib.sha256(data).hexdigest(), len(data), path)))
    return f


def render(fields):
    return "".join("%s: %s\n" % kv for kv in fields).encode()


def member(name, data=b"", kind=tarfile.REGTYPE, link="", size=None, pax=None):
    return {"name": name, "data": data, "kind": kind, "link": link, "size": size,
            "pax": pax or {}}


def mutate(a, fields, members, files):
    """Apply the hostile case. Returns (fields, members, manifest_first)."""
    c = a.case
    esc = a.escape.rstrip("/")
    first = True
    def setf(key, val):
        return [(k, val if k == key else v) for k, v in fields]
    def fileline(path, data):
        return ("File", "%s %d %s" % (hashlib.sha256(data).hexdigest(), len(data), path))
    evil = b"escaped\n"
    if c.startswith("good"):
        pass
    elif c == "trav_dotdot":		# manifest and member agree on an escaping path
        fields.append(fileline("../../sixescape_dotdot", evil))
        members.append(member("payload/../../sixescape_dotdot", evil))
    elif c == "trav_member":		# benign manifest line, escaping member name
        fields.append(fileline("sixescape_member", evil))
        members.append(member("payload/../../../sixescape_member", evil))
    elif c == "trav_abs":			# absolute member name aimed at the escape dir
        fields.append(fileline("sixescape_abs", evil))
        members.append(member(esc + "/sixescape_abs", evil))
    elif c == "trav_inner":			# payload/a/../../b
        fields.append(fileline("a/../../sixescape_inner", evil))
        members.append(member("payload/a/../../sixescape_inner", evil))
    elif c == "symlink":
        fields.append(fileline("link", b""))
        members.append(member("payload/link", kind=tarfile.SYMTYPE, link=esc + "/sixescape_symlink"))
    elif c == "symlink_then_write":	# a link, then a file written through it
        fields.append(fileline("dir", b""))
        fields.append(fileline("dir/sixescape_via_link", evil))
        members.append(member("payload/dir", kind=tarfile.SYMTYPE, link=esc))
        members.append(member("payload/dir/sixescape_via_link", evil))
    elif c == "hardlink":
        fields.append(fileline("hl", files[0][1]))
        members.append(member("payload/hl", kind=tarfile.LNKTYPE, link="payload/doc.txt"))
    elif c == "chardev":
        fields.append(fileline("null", b""))
        members.append(member("payload/null", kind=tarfile.CHRTYPE))
    elif c == "blockdev":
        fields.append(fileline("blk", b""))
        members.append(member("payload/blk", kind=tarfile.BLKTYPE))
    elif c == "fifo":
        fields.append(fileline("fifo", b""))
        members.append(member("payload/fifo", kind=tarfile.FIFOTYPE))
    elif c == "dir_member":
        members.insert(0, member("payload/annex", kind=tarfile.DIRTYPE))
    elif c == "manifest_not_first":
        first = False
    elif c == "no_manifest":
        first = None
    elif c == "unknown_key":
        i = [k for k, _ in fields].index("File")
        fields.insert(i, ("X-Priority", "high"))
    elif c == "version2":
        fields = setf("Six-Bundle", "2")
    elif c == "bundleid_upper":
        fields = setf("Bundle-Id", dict(fields)["Bundle-Id"].upper())
    elif c == "created_bad":		# RFC 3339 but not the fixed form: a fraction
        fields = setf("Created", dict(fields)["Created"][:-1] + ".5Z")
    elif c == "created_local":		# an offset instead of Z
        fields = setf("Created", dict(fields)["Created"][:-1] + "+00:00")
    elif c == "pax_path":		# ustar name benign, pax path escaping
        fields.append(fileline("ok", evil))
        members.append(member("payload/ok", evil, pax={"path": "payload/../../sixescape_pax"}))
    elif c == "pax_linkpath":		# a regular file with a linkpath keyword
        fields.append(fileline("lp", evil))
        members.append(member("payload/lp", evil, pax={"linkpath": esc + "/sixescape_lp"}))
    elif c == "dot_component":
        fields.append(fileline("d/x", evil))
        members.append(member("payload/d/./x", evil))
    elif c == "long_component":
        n = "c" * 300
        fields.append(fileline(n, evil))
        members.append(member("payload/" + n, evil))
    elif c == "dup_member":			# manifest lists it once, the archive twice
        members.append(member(members[0]["name"], b"overwritten\n"))
    elif c == "nul_in_manifest":
        fields = setf("Subject", "before\0after")
    elif c == "sender_lower":
        fields = setf("Sender", a.sender.lower())
    elif c == "dup_recipient":
        i = [k for k, _ in fields].index("Recipient") + 1
        fields.insert(i, ("Recipient", a.recipient.upper()))
    elif c == "crlf":
        fields = setf("Party", a.party + "\r")
    elif c == "hash_mismatch":
        members[0]["data"] = bytes([members[0]["data"][0] ^ 1]) + members[0]["data"][1:]
    elif c == "size_mismatch":		# member shorter than the manifest says
        members[1]["data"] = members[1]["data"][:-1]
    elif c == "size_larger":		# member longer than the manifest says
        members[1]["data"] = members[1]["data"] + b"X"
    elif c == "bomb":			# declared 10 bytes, really a.big zero bytes
        fields.append(fileline("bomb.bin", b"\0" * 10))
        members.append(member("payload/bomb.bin", size=a.big))
    elif c == "extra_member":
        members.append(member("payload/extra.txt", b"not in the manifest\n"))
    elif c == "missing_member":
        members.pop()
    elif c == "out_of_order":
        members[0], members[1] = members[1], members[0]
    elif c == "dup_path":
        fields.append(fileline("doc.txt", files[0][1]))
        members.append(member("payload/doc.txt", files[0][1]))
    elif c == "ctrl_path":
        fields.append(fileline("bad\x1bname", b"x"))
        members.append(member("payload/bad\x1bname", b"x"))
    elif c == "newline_path":
        fields.append(fileline("bad\nFile: x", b"x"))
        members.append(member("payload/bad\nFile: x", b"x"))
    elif c == "big_manifest":		# over 1 MiB of manifest
        i = [k for k, _ in fields].index("Recipient") + 1
        fields[i:i] = [("Recipient", "%040X" % n) for n in range(1, 21000)]
    elif c in ("sender_not_signer", "recipient_not_us", "party_mismatch", "unknown_doctype",
               "stale", "future", "unsigned", "unenrolled", "revoked", "tamper", "truncate",
               "sign_only", "replay_seq", "setuid_control", "not_for_us", "no_mdc",
               "double_signed", "replay_id", "seq_zero", "seq_leading_zero",
               "doctype_not_allowed", "good_skew", "good_old", "global_pax",
               "gzip_truncated", "gzip_badcrc"):
        pass				# set up by the caller's arguments or the gpg step
    else:
        sys.exit("mkbundle.py: unknown case " + c)
    return fields, members, first


class Zeros(io.RawIOBase):
    def __init__(self, n):
        self.n = n
    def readable(self):
        return True
    def readinto(self, b):
        k = min(len(b), self.n)
        b[:k] = bytes(k)
        self.n -= k
        return k


def write_tar(path, manifest, members, first, setuid, a_case):
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6,
                                                mtime=0) as gz:
        glob = {"comment": "global"} if a_case == "global_pax" else None
        t = tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, pax_headers=glob)
        def add(m):
            ti = tarfile.TarInfo(m["name"])
            ti.pax_headers = dict(m["pax"])
            ti.type = m["kind"]
            ti.mode = 0o4777 if setuid else 0o644
            ti.mtime = int(time.time())
            if m["kind"] == tarfile.REGTYPE:
                if m["size"] is not None:
                    ti.size = m["size"]
                    t.addfile(ti, io.BufferedReader(Zeros(m["size"]), 1 << 20))
                else:
                    ti.size = len(m["data"])
                    t.addfile(ti, io.BytesIO(m["data"]))
            else:
                ti.linkname = m["link"]
                if m["kind"] in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                    ti.devmajor, ti.devminor = 1, 3
                t.addfile(ti)
        man = member("SIX-MANIFEST", manifest)
        if first is True:
            add(man)
        for m in members:
            add(m)
        if first is False:
            add(man)
        t.close()


def gpg(a, plain):
    base = ["gpg", "--homedir", a.gnupg, "--batch", "--yes", "--no-tty", "--quiet",
            "--trust-model", "always", "--pinentry-mode", "loopback", "--passphrase", "",
            "--compress-algo", "none", "-o", a.out]
    sign = ["--sign", "-u", a.signer + "!"]
    if a.also_sign:
        sign += ["-u", a.also_sign + "!"]
    enc = ["--encrypt", "-r", a.encrypt_to]
    if a.case == "unsigned":
        cmd = base + enc
    elif a.case == "sign_only":
        cmd = base + sign
    elif a.case == "no_mdc":		# RFC 2440 encryption: no integrity protection
        cmd = base + ["--rfc2440", "--cipher-algo", "AES256"] + sign + enc
    else:
        cmd = base + sign + enc
    subprocess.run(cmd + [plain], check=True, stdin=subprocess.DEVNULL)
    if a.case in ("tamper", "truncate"):
        with open(a.out, "r+b") as f:
            n = os.fstat(f.fileno()).st_size
            if a.case == "tamper":
                f.seek(n // 2)
                b = f.read(1)
                f.seek(n // 2)
                f.write(bytes([b[0] ^ 0x40]))
            else:
                f.truncate(n - 40)


def main():
    a = parse()
    files = payload(a.case)
    fields = manifest_fields(a, files)
    members = [member("payload/" + p, d) for p, d in files]
    fields, members, first = mutate(a, fields, members, files)
    plain = a.out + ".plain.tar.gz"
    write_tar(plain, render(fields), members, first, a.case == "setuid_control", a.case)
    if a.case in ("gzip_truncated", "gzip_badcrc"):
        with open(plain, "r+b") as f:
            n = os.fstat(f.fileno()).st_size
            if a.case == "gzip_truncated":
                f.truncate(n * 2 // 3)
            else:				# the CRC-32 in the gzip trailer
                f.seek(n - 8)
                c = f.read(1)
                f.seek(n - 8)
                f.write(bytes([c[0] ^ 0xff]))
    try:
        gpg(a, plain)
    finally:
        os.unlink(plain)
    if a.expect:
        for p, d in files:
            q = os.path.join(a.expect, p)
            os.makedirs(os.path.dirname(q), exist_ok=True)
            with open(q, "wb") as f:
                f.write(d)


if __name__ == "__main__":
    main()

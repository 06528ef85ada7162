#!/usr/bin/env python3
"""Build the PLAINTEXT of a SIX bundle v1 (formats/bundle.md) by hand: a gzip-compressed
pax tar whose first member is SIX-MANIFEST, then payload/<path> members. Only Python's
standard library is used, never SIX's code: this is the interoperability check, and
with --evil KIND it builds the hostile variants the CLI tests feed to six-unpack.
Keys are never here: tests/cli/unpack_lib.sh signs and encrypts with gpg at test time.

  mkbundle.py --out F.tgz --sender FPR --recipient FPR [--recipient FPR] --party P
      --seq N [--id HEX] [--created RFC3339|now|-Nd|+Ns] [--doc-type T] [--class C]
      [--subject S] [--file PATH=@SRC | --file PATH=TEXT]... [--tree DIR] [--evil KIND]
"""
import argparse
import datetime
import gzip
import hashlib
import io
import os
import secrets
import sys
import tarfile

EVIL = {
    # unsafe member types (manifest lists a plain-looking file)
    "symlink", "hardlink", "device", "fifo", "dirmember", "xattr",
    # unsafe names, in the manifest (and the member)
    "abs", "dotdot", "dotdot2", "emptycomp", "ctrl", "longcomp", "nonutf8", "dotcomp",
    # unsafe names in the member only (manifest clean)
    "m-abs", "m-dotdot", "m-dotdot2", "m-ctrl", "m-nonutf8", "m-outside",
    # content mismatches
    "size", "hash", "order", "extra", "missing", "dupmember",
    # manifest faults
    "notfirst", "nomanifest", "unknownkey", "version2", "manifest-symlink",
    # resources
    "bomb",
}

BAD_NAMES = {
    "abs": "/tmp/six-evil", "dotdot": "../six-evil", "dotdot2": "a/../../six-evil",
    "emptycomp": "a//six-evil", "ctrl": "a\x1b[31mred", "longcomp": "x" * 256,
    "nonutf8": "bad\udcffname", "dotcomp": "./six-evil",
}


def when(spec):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    if spec == "now":
        t = now
    elif spec[0] in "+-" and spec[-1] in "ds":
        n = int(spec[:-1])
        t = now + (datetime.timedelta(days=n) if spec[-1] == "d" else datetime.timedelta(seconds=n))
    else:
        return spec
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Source:
    """A payload file: bytes in memory, or a file on disk streamed (GiB-sized tests)."""

    def __init__(self, data=None, path=None):
        self.data, self.path = data, path
        self.size = len(data) if path is None else os.path.getsize(path)
        h = hashlib.sha256()
        for chunk in self.chunks():
            h.update(chunk)
        self.sha256 = h.hexdigest()

    def chunks(self):
        if self.path is None:
            yield self.data
            return
        with open(self.path, "rb") as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    return
                yield chunk

    def reader(self):
        return io.BytesIO(self.data) if self.path is None else open(self.path, "rb")


def payload(args):
    files = []
    for f in args.file or []:
        path, _, val = f.partition("=")
        files.append((path, Source(path=val[1:]) if val.startswith("@") else Source(val.encode())))
    if args.tree:
        for root, dirs, names in os.walk(args.tree):
            dirs.sort()
            for n in sorted(names):
                full = os.path.join(root, n)
                files.append((os.path.relpath(full, args.tree), Source(path=full)))
    if not files:
        files = [("a.txt", Source(b"hello\n")), ("sub/b.bin", Source(bytes(range(256)) * 4))]
    return files


def manifest_text(args, lines):
    head = ["Six-Bundle: %s" % ("2" if args.evil == "version2" else "1"),
            "Bundle-Id: " + (args.id or secrets.token_hex(16)),
            "Created: " + when(args.created),
            "Sender: " + args.sender]
    head += ["Recipient: " + r for r in args.recipient]
    head += ["Party: " + args.party, "Sequence: %d" % args.seq,
             "Doc-Type: " + args.doc_type, "Classification: " + args.cls]
    if args.subject:
        head.append("Subject: " + args.subject)
    if args.evil == "unknownkey":
        head.append("X-Priority: urgent")
    body = ["File: %s %d %s" % (h, s, p) for (h, s, p) in lines]
    return ("\n".join(head + body) + "\n").encode("utf-8", "surrogateescape")


def member(name, data=b"", kind=tarfile.REGTYPE, link="", size=None):
    """A tar header and its content (bytes, a Source, or None for zeros of size)."""
    if isinstance(data, Source):
        size, data = data.size, data
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = 0o4777 if kind == tarfile.REGTYPE else 0o777  # hostile modes: must be ignored
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.linkname = link
    ti.size = size if size is not None else len(data)
    ti.mtime = 1700000000
    return ti, data


def evil_members(kind, files, lines, members):
    """Apply a hostile variation to (manifest lines, tar members) in place."""
    if kind in ("symlink", "hardlink", "device", "fifo", "dirmember"):
        t = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE, "device": tarfile.CHRTYPE,
             "fifo": tarfile.FIFOTYPE, "dirmember": tarfile.DIRTYPE}[kind]
        link = {"symlink": "/etc/passwd", "hardlink": "payload/" + files[0][0]}.get(kind, "")
        lines.append((hashlib.sha256(b"").hexdigest(), 0, "evil"))
        members.append(member("payload/evil", kind=t, link=link, size=0))
    elif kind in BAD_NAMES:
        data = b"escaped\n"
        lines.append((hashlib.sha256(data).hexdigest(), len(data), BAD_NAMES[kind]))
        members.append(member("payload/" + BAD_NAMES[kind], data))
    elif kind.startswith("m-"):
        data = b"escaped\n"
        name = {"m-abs": "/tmp/six-evil", "m-dotdot": "payload/../../six-evil",
                "m-dotdot2": "payload/a/../../six-evil", "m-ctrl": "payload/a\x07b",
                "m-nonutf8": "payload/bad\udcffname", "m-outside": "elsewhere/x"}[kind]
        lines.append((hashlib.sha256(data).hexdigest(), len(data), "safe-name"))
        members.append(member(name, data))
    elif kind == "xattr":
        members[0][0].pax_headers = {"SCHILY.xattr.security.capability": "\x01"}
    elif kind == "size":
        h, s, p = lines[0]
        lines[0] = (h, s + 1, p)
    elif kind == "hash":
        h, s, p = lines[0]
        lines[0] = (hashlib.sha256(b"other").hexdigest(), s, p)
    elif kind == "order":
        members[0], members[1] = members[1], members[0]
    elif kind == "extra":
        members.append(member("payload/extra.txt", b"not in the manifest\n"))
    elif kind == "missing":
        lines.append((hashlib.sha256(b"x").hexdigest(), 1, "missing.txt"))
    elif kind == "dupmember":
        members.append(members[-1])
    elif kind == "bomb":
        # declared 10 bytes; the member expands to 256 MiB of zeros (a few hundred KiB
        # compressed): the reader must stop before writing any of it
        big = 256 << 20
        lines.append((hashlib.sha256(b"0123456789").hexdigest(), 10, "bomb.bin"))
        members.append(member("payload/bomb.bin", None, size=big))


class Zeros(io.RawIOBase):
    def __init__(self, n):
        self.n = n

    def readinto(self, b):
        k = min(len(b), self.n)
        b[:k] = bytes(k)
        self.n -= k
        return k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--sender", required=True)
    ap.add_argument("--recipient", action="append", required=True)
    ap.add_argument("--party", default="NLD")
    ap.add_argument("--seq", type=int, default=1)
    ap.add_argument("--id")
    ap.add_argument("--created", default="now")
    ap.add_argument("--doc-type", default="declaration")
    ap.add_argument("--class", dest="cls", default="RESTRICTED")
    ap.add_argument("--subject")
    ap.add_argument("--file", action="append")
    ap.add_argument("--tree")
    ap.add_argument("--evil", choices=sorted(EVIL))
    args = ap.parse_args()
    files = payload(args)
    lines = [(src.sha256, src.size, p) for (p, src) in files]
    members = [member("payload/" + p, src) for (p, src) in files]
    if args.evil:
        evil_members(args.evil, files, lines, members)
    man = member("SIX-MANIFEST", manifest_text(args, lines))
    if args.evil == "manifest-symlink":
        man = member("SIX-MANIFEST", kind=tarfile.SYMTYPE, link="/etc/passwd", size=0)
    if args.evil == "notfirst":
        members.insert(1, man)
    elif args.evil != "nomanifest":
        members.insert(0, man)
    with open(args.out, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT,
                              encoding="utf-8", errors="surrogateescape") as tar:
                for ti, data in members:
                    if data is None:
                        tar.addfile(ti, Zeros(ti.size))
                    elif isinstance(data, Source):
                        with data.reader() as fh:
                            tar.addfile(ti, fh)
                    else:
                        tar.addfile(ti, io.BytesIO(data) if ti.size else None)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A lossy one-way UDP relay for the contract tests: receives datagrams on --listen
and forwards them to --to, dropping some on the way; nothing ever goes back.

relay.py --listen PORT --to PORT [--loss P --seed N] [--burst START:LEN[:PERIOD]]
         [--idle S] [--max-wait S] [--rcvbuf BYTES]

--loss P        drop each datagram with probability P, independently (fixed seed)
--burst S:L:P   drop datagrams number S..S+L-1 (counting from 0), again every P
--idle S        exit after S seconds without a datagram, once one has come (default 3)
--max-wait S    exit after S seconds if none ever comes, and after S seconds in all
                (default 120)
--rcvbuf BYTES  the receiving socket's buffer (default 8 MiB, within
                net.core.rmem_max); 0 leaves the kernel's default (about 200 KiB)
At exit prints "relay: received R dropped D forwarded F" on stderr.
"""
import argparse, random, select, socket, sys, time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--to", type=int, required=True)
    p.add_argument("--loss", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--burst", default="")
    p.add_argument("--idle", type=float, default=3.0)
    p.add_argument("--max-wait", type=float, default=120.0)
    p.add_argument("--rcvbuf", type=int, default=8 << 20)
    a = p.parse_args()
    rng = random.Random(a.seed)
    bs = [int(x) for x in a.burst.split(":")] if a.burst else []
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.rcvbuf:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    rx.bind(("127.0.0.1", a.listen))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.monotonic()
    last = None
    n = dropped = 0
    while True:
        now = time.monotonic()
        if now - start > a.max_wait or (last is not None and now - last > a.idle):
            break
        r, _, _ = select.select([rx], [], [], 0.2)
        if not r:
            continue
        d = rx.recv(65536)
        last = time.monotonic()
        i = n
        n += 1
        if bs:
            off = i - bs[0]
            if len(bs) > 2 and off >= 0:
                off %= bs[2]
            if 0 <= off < bs[1]:
                dropped += 1
                continue
        if a.loss and rng.random() < a.loss:
            dropped += 1
            continue
        tx.sendto(d, ("127.0.0.1", a.to))
    print("relay: received %d dropped %d forwarded %d" % (n, dropped, n - dropped),
          file=sys.stderr)


if __name__ == "__main__":
    main()

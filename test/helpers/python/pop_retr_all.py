#!/usr/bin/env python3
"""RETR every message with poplib and print JSON [{n, sha256, size}, ...].

usage: pop_retr_all.py HOST PORT implicit|starttls|plain CAFILE USER PASSWORD

Byte rule: poplib.retr() returns the lines with their CRLF removed and dot-stuffing undone
(a line b"..x" on the wire comes back as b".x"), and drops the terminating ".". For a message
stored with CRLF line endings and ending in CRLF, the exact stored bytes are
    b"\\r\\n".join(lines) + b"\\r\\n"
which is what sha256/size cover here. (A message without a final CRLF, or with bare LF line
ends, would not round-trip this way: the server adds the CRLF before "." and poplib strips a
bare LF too. poplib also refuses lines longer than 2048 bytes.) Nothing is deleted: no DELE, and QUIT leaves the mailbox as it was.
"""
import hashlib
import json
import poplib
import ssl
import sys


def connect(host, port, mode, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    if mode == "implicit":
        return poplib.POP3_SSL(host, port, context=ctx)
    conn = poplib.POP3(host, port)
    if mode == "starttls":
        conn.stls(context=ctx)
    elif mode != "plain":
        raise SystemExit("mode must be implicit, starttls or plain, not %r" % mode)
    return conn


def main(argv):
    if len(argv) != 7:
        raise SystemExit(__doc__)
    host, port, mode, cafile, user, password = argv[1], int(argv[2]), argv[3], argv[4], argv[5], argv[6]
    conn = connect(host, port, mode, cafile)
    result = []
    try:
        conn.user(user)
        conn.pass_(password)
        count, _size = conn.stat()
        for n in range(1, count + 1):
            _resp, lines, _octets = conn.retr(n)
            body = b"\r\n".join(lines) + b"\r\n"
            result.append({"n": n, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)})
    finally:
        try:
            conn.quit()
        except Exception:
            pass
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)

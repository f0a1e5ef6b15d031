#!/usr/bin/env python3
"""Fetch every message of INBOX with imaplib and print JSON [{uid, sha256, size}, ...].

usage: imap_fetch_all.py HOST PORT implicit|starttls|plain CAFILE USER PASSWORD

Uses UID FETCH 1:* (UID BODY.PEEK[]) so no \\Seen flag is set. imaplib hands back each
literal exactly as received, so sha256/size are over the exact bytes the server sent.
TLS is verified against CAFILE only (ssl.create_default_context), hostname checked against HOST.
"""
import hashlib
import imaplib
import json
import re
import ssl
import sys


def connect(host, port, mode, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    if mode == "implicit":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    conn = imaplib.IMAP4(host, port)
    if mode == "starttls":
        conn.starttls(ssl_context=ctx)
    elif mode != "plain":
        raise SystemExit("mode must be implicit, starttls or plain, not %r" % mode)
    return conn


def fetch_all(conn):
    typ, data = conn.select("INBOX")
    if typ != "OK":
        raise SystemExit("SELECT INBOX failed: %r" % data)
    if int(data[0]) == 0:
        return []
    typ, data = conn.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    if typ != "OK":
        raise SystemExit("UID FETCH failed: %r" % data)
    # data: (b'1 (UID 1 BODY[] {N}', literal) tuples, each followed by bytes such as b')'
    # (which may carry the UID when the server sends it after the literal).
    out = []
    for item in data:
        if isinstance(item, tuple):
            out.append({"head": item[0], "body": item[1], "tail": b""})
        elif out and isinstance(item, bytes):
            out[-1]["tail"] += item
    result = []
    for m in out:
        found = re.search(rb"UID (\d+)", m["head"] + b" " + m["tail"])
        if not found:
            raise SystemExit("no UID in FETCH response %r" % m["head"])
        body = m["body"]
        result.append({"uid": int(found.group(1)), "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)})
    result.sort(key=lambda r: r["uid"])
    return result


def main(argv):
    if len(argv) != 7:
        raise SystemExit(__doc__)
    host, port, mode, cafile, user, password = argv[1], int(argv[2]), argv[3], argv[4], argv[5], argv[6]
    conn = connect(host, port, mode, cafile)
    try:
        conn.login(user, password)
        result = fetch_all(conn)
    finally:
        try:
            conn.logout()
        except Exception:
            pass
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env python3
"""Open N IMAPS connections at once from one process (one thread each, released together by a
barrier), fetch message UID 1 on each with UID FETCH 1 (BODY.PEEK[]) and print JSON
[{"sha256": ..., "size": ...}, ...], one entry per connection.

usage: imap_concurrent_fetch.py HOST PORT CAFILE USER PASSWORD N

TLS is verified against CAFILE only, hostname checked against HOST.
"""
import hashlib
import imaplib
import json
import ssl
import sys
import threading


def fetch_one(host, port, cafile, user, password, barrier, results, index):
    barrier.wait()
    conn = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(cafile=cafile))
    try:
        conn.login(user, password)
        typ, data = conn.select("INBOX", readonly=True)
        if typ != "OK":
            raise SystemExit("SELECT failed: %r" % data)
        typ, data = conn.uid("FETCH", "1", "(BODY.PEEK[])")
        if typ != "OK":
            raise SystemExit("UID FETCH failed: %r" % data)
        body = next(item[1] for item in data if isinstance(item, tuple))
        results[index] = {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
    finally:
        conn.logout()


def main():
    host, port, cafile, user, password, count = sys.argv[1:7]
    count = int(count)
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def run(index):
        try:
            fetch_one(host, int(port), cafile, user, password, barrier, results, index)
        except BaseException as error:  # reported, never swallowed
            errors.append("connection %d: %r" % (index, error))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit("; ".join(errors))
    json.dump(results, sys.stdout)


main()

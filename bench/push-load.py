#!/usr/bin/env python3
"""Pushes latency samples to the daemon at a steady rate for a while and counts what came back.

  push-load.py URL RATE SECONDS [--batch 100] [--group load] [--servers 16]

Batches of --batch samples on one keep-alive connection, paced to RATE samples per second. Prints one line:
sent=N accepted=N limited=N errors=N retry_after=S (samples; retry_after is the largest Retry-After seen).
"""
import argparse
import http.client
import json
import time
import urllib.parse


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("rate", type=float)
    parser.add_argument("seconds", type=float)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--group", default="load")
    parser.add_argument("--servers", type=int, default=16)
    args = parser.parse_args()
    target = urllib.parse.urlsplit(args.url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    sent = accepted = limited = errors = 0
    retry_after = 0
    start = time.monotonic()
    index = 0
    while True:
        now = time.monotonic()
        if now - start >= args.seconds:
            break
        # Pace: the batch is due when the samples so far would have been sent at RATE.
        due = start + sent / args.rate
        if due > now:
            time.sleep(due - now)
        batch = []
        for _ in range(args.batch):
            batch.append({"group": args.group, "server": "s%d" % (index % args.servers + 1), "seconds": 0.1 + (index % 7) * 0.01})
            index += 1
        body = json.dumps(batch)
        try:
            connection.request("POST", target.path, body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status == 202:
                accepted += len(batch)
            elif response.status == 429:
                limited += len(batch)
                retry_after = max(retry_after, int(response.getheader("Retry-After", "0")))
            else:
                errors += len(batch)
        except (OSError, http.client.HTTPException):
            errors += len(batch)
            connection.close()
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        sent += len(batch)
    print("sent=%d accepted=%d limited=%d errors=%d retry_after=%d" % (sent, accepted, limited, errors, retry_after))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# burst.py SERVER_URL N
#
# Signs in as demo/demo to a Tokengate server's seed API through
# libtokengate-1, breaks the access token, fires N GET requests at once and
# prints one JSON line: {"requests":N,"succeeded":…,"failed":…,"refreshes":…}.
# Every request gets a 401, and all of them wait for one refresh and go out
# again: expect succeeded == N and refreshes == 1.
#
# From a build tree:
#   GI_TYPELIB_PATH=build/src/core LD_LIBRARY_PATH=build/src/core \
#     examples/burst.py http://127.0.0.1:7000 10

import json
import sys

import gi

gi.require_version("Tokengate", "1.0")
from gi.repository import GLib, Tokengate  # noqa: E402

MAX_REQUESTS = 10000


def fail(message):
    print(f"burst.py: {message}", file=sys.stderr)
    sys.exit(1)


def parse_arguments(argv):
    if len(argv) != 3:
        fail("usage: burst.py SERVER_URL N")
    try:
        n = int(argv[2])
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_REQUESTS:
        fail(f"N must be a whole number from 1 to {MAX_REQUESTS}, not “{argv[2]}”")
    return argv[1], n


def main(argv):
    url, n = parse_arguments(argv)
    try:
        # No token store: the session lives in memory only.
        protocol = Tokengate.AuthProtocol.new_seed(url)
        manager = Tokengate.TokenManager.new(protocol, None, None)
        client = Tokengate.ApiClient.new(manager, url)
    except GLib.Error as error:
        fail(f"{url}: {error.message}")

    loop = GLib.MainLoop()
    log = manager.get_request_log()
    burst = {"start": 0, "ended": 0, "succeeded": 0, "error": None}

    def on_response(client, result):
        try:
            response = client.get_finish(result)
            if 200 <= response.status < 300:
                burst["succeeded"] += 1
        except GLib.Error:
            pass  # counted as failed below
        burst["ended"] += 1
        if burst["ended"] == n:
            loop.quit()

    def on_signed_in(manager, result):
        try:
            manager.sign_in_finish(result)
        except GLib.Error as error:
            burst["error"] = f"cannot sign in at {url}: {error.message}"
            loop.quit()
            return
        # Break the token the way a server-side expiry would: every request
        # below gets a 401 first.
        manager.replace_access_token("broken-on-purpose")
        burst["start"] = log.get_n_items()
        for i in range(n):
            client.get_async(f"/api/resources/{i}", None, on_response)

    manager.sign_in_async("demo", "demo", None, on_signed_in)
    loop.run()

    if burst["error"] is not None:
        fail(burst["error"])
    summary = log.summarize(burst["start"])
    print(json.dumps({
        "requests": n,
        "succeeded": burst["succeeded"],
        "failed": n - burst["succeeded"],
        "refreshes": summary.refreshes,
    }, separators=(",", ":")))
    return 0 if burst["succeeded"] == n else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

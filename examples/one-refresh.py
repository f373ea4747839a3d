#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# one-refresh.py SERVER_URL: sign in, break the token, send three GETs at once.
import sys
import gi
gi.require_version("Tokengate", "1.0")
from gi.repository import GLib, Tokengate

url = sys.argv[1]
protocol = Tokengate.AuthProtocol.new_seed(url)
manager = Tokengate.TokenManager.new(protocol, None, None)  # no token store
client = Tokengate.ApiClient.new(manager, url)
loop = GLib.MainLoop()
statuses = []

def on_response(client, result):
    statuses.append(client.get_finish(result).status)
    if len(statuses) == 3:
        loop.quit()

def on_signed_in(manager, result):
    manager.sign_in_finish(result)
    manager.replace_access_token("broken")  # every GET now gets a 401 first
    for i in range(3):
        client.get_async(f"/api/resources/{i}", None, on_response)

manager.sign_in_async("demo", "demo", None, on_signed_in)
loop.run()
summary = manager.get_request_log().summarize(0)
print(f"{statuses} after {summary.refreshes} refresh")

#!/usr/bin/env -S gjs -m
// SPDX-License-Identifier: GPL-3.0-or-later
//
// burst.js SERVER_URL N
//
// Signs in as demo/demo to a Tokengate server's seed API through
// libtokengate-1, breaks the access token, fires N GET requests at once and
// prints one JSON line: {"requests":N,"succeeded":…,"failed":…,"refreshes":…}.
// Every request gets a 401, and all of them wait for one refresh and go out
// again: expect succeeded == N and refreshes == 1.
//
// From a build tree:
//   GI_TYPELIB_PATH=build/src/core LD_LIBRARY_PATH=build/src/core \
//     gjs -m examples/burst.js http://127.0.0.1:7000 10

import GLib from 'gi://GLib';
import Tokengate from 'gi://Tokengate?version=1.0';
import system from 'system';

const MAX_REQUESTS = 10000;

function fail(message) {
    printerr(`burst.js: ${message}`);
    system.exit(1);
}

function parseArguments(args) {
    if (args.length !== 2)
        fail('usage: burst.js SERVER_URL N');
    const n = /^[0-9]+$/.test(args[1]) ? Number(args[1]) : 0;
    if (n < 1 || n > MAX_REQUESTS)
        fail(`N must be a whole number from 1 to ${MAX_REQUESTS}, not “${args[1]}”`);
    return [args[0], n];
}

const [url, n] = parseArguments(system.programArgs);

let manager, client;
try {
    // No token store: the session lives in memory only.
    const protocol = Tokengate.AuthProtocol.new_seed(url);
    manager = Tokengate.TokenManager.new(protocol, null, null);
    client = Tokengate.ApiClient.new(manager, url);
} catch (error) {
    fail(`${url}: ${error.message}`);
}

const loop = new GLib.MainLoop(null, false);
const log = manager.get_request_log();
let start = 0, ended = 0, succeeded = 0, signInError = null;

function onResponse(source, result) {
    try {
        const response = source.get_finish(result);
        if (response.status >= 200 && response.status < 300)
            succeeded++;
    } catch (error) {
        // counted as failed below
    }
    if (++ended === n)
        loop.quit();
}

manager.sign_in_async('demo', 'demo', null, (source, result) => {
    try {
        source.sign_in_finish(result);
    } catch (error) {
        signInError = `cannot sign in at ${url}: ${error.message}`;
        loop.quit();
        return;
    }
    // Break the token the way a server-side expiry would: every request
    // below gets a 401 first.
    source.replace_access_token('broken-on-purpose');
    start = log.get_n_items();
    for (let i = 0; i < n; i++)
        client.get_async(`/api/resources/${i}`, null, onResponse);
});
loop.run();

if (signInError !== null)
    fail(signInError);
const summary = log.summarize(start);
print(JSON.stringify({
    requests: n,
    succeeded,
    failed: n - succeeded,
    refreshes: summary.refreshes,
}));
system.exit(succeeded === n ? 0 : 2);

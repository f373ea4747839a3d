#!/usr/bin/env -S gjs -m
// SPDX-License-Identifier: GPL-3.0-or-later
// one-refresh.js SERVER_URL: sign in, break the token, send three GETs at once.
import GLib from 'gi://GLib';
import Tokengate from 'gi://Tokengate?version=1.0';
import system from 'system';

const url = system.programArgs[0];
const protocol = Tokengate.AuthProtocol.new_seed(url);
const manager = Tokengate.TokenManager.new(protocol, null, null); // no token store
const client = Tokengate.ApiClient.new(manager, url);
const loop = new GLib.MainLoop(null, false);
const statuses = [];

function onResponse(source, result) {
    statuses.push(source.get_finish(result).status);
    if (statuses.length === 3)
        loop.quit();
}

manager.sign_in_async('demo', 'demo', null, (source, result) => {
    source.sign_in_finish(result);
    source.replace_access_token('broken'); // every GET now gets a 401 first
    for (let i = 0; i < 3; i++)
        client.get_async(`/api/resources/${i}`, null, onResponse);
});
loop.run();
const summary = manager.get_request_log().summarize(0);
print(`[${statuses.join(', ')}] after ${summary.refreshes} refresh`);

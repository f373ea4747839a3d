// SPDX-License-Identifier: GPL-3.0-or-later
//
// panva's oidc-provider (a certified OpenID provider) set up the way a
// developer registers Tokengate with their own identity provider: a public
// native client, redirect http://127.0.0.1/callback on any port, PKCE,
// refresh tokens with offline_access, rotated on every use. Its development
// login and consent pages stand in for the provider's real ones.
//
// Usage: node oidc-provider.mjs MODULE_DIR
// Listens on an ephemeral port of 127.0.0.1 and writes its issuer on a line
// of its own to standard output once it is ready.
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const moduleDir = process.argv[2];
const { default: Provider } = await import(
  pathToFileURL(path.join(moduleDir, 'node_modules', 'oidc-provider', 'lib', 'index.js')).href);

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'tokengate',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }],
    scopes: ['openid', 'offline_access'],
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
    },
    pkce: { methods: ['S256'], required: () => true },
    // Short-lived access tokens: the test breaks one to force a refresh, and
    // a real provider's would expire soon enough anyway.
    ttl: { AccessToken: 60, AuthorizationCode: 60, IdToken: 60, RefreshToken: 3600, Interaction: 300, Session: 3600, Grant: 3600 },
    rotateRefreshToken: true,
    findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`${issuer}\n`);
});

// The test ends the provider by closing its standard input.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

// send.js DSN MESSAGE...: sends events with the official Sentry
// JavaScript SDK core (its DSN parsing, envelope writer, auth and rate
// limit handling) to the fake Sentry server.  Prints one JSON line per
// event: {"message", "status"} where status is the HTTP answer the
// transport saw, or "dropped" when the SDK's own rate limiter kept it.
'use strict';

const core = require('@sentry/core');

async function main() {
  const [dsn, ...messages] = process.argv.slice(2);
  let last = null;
  const transport = options =>
    core.createTransport(options, async request => {
      const r = await fetch(options.url, {
        method: 'POST',
        body: request.body,
        headers: options.headers,
      });
      last = r.status;
      return {
        statusCode: r.status,
        headers: {
          'x-sentry-rate-limits': r.headers.get('X-Sentry-Rate-Limits'),
          'retry-after': r.headers.get('Retry-After'),
        },
      };
    });
  const client = new core.ServerRuntimeClient({
    dsn,
    transport,
    stackParser: core.createStackParser(core.nodeStackLineParser()),
    integrations: [],
    platform: 'node',
    runtime: {name: 'node', version: process.version},
    release: 'pohoda-sync@0.1',
    environment: 'test',
    serverName: 'fidelity-host',
  });
  core.setCurrentClient(client);
  client.init();
  for (const m of messages) {
    last = null;
    core.withScope(scope => {
      scope.setTag('table', 'FA');
      scope.setExtra('run', '20261203T040002Z');
      core.captureException(new Error(m));
    });
    await client.flush(5000);
    process.stdout.write(JSON.stringify({
      message: m, status: last === null ? 'dropped' : last}) + '\n');
  }
}

main().catch(e => {
  process.stderr.write(String(e.stack || e) + '\n');
  process.exitCode = 1;
});

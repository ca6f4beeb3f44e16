// client.js: talk to tests/servers/tds-server with tedious, an independent
// TDS client, and print what it received as JSON lines.
//
// usage: node client.js PORT USER PASSWORD query SQL...
//        node client.js PORT USER PASSWORD cancel SQL
//
// query: runs each SQL as a batch (execSqlBatch) and prints
//   {"cols": [{"name", "type", "precision", "scale", "length", "codepage"}]}
//   {"row": [value, ...]}  values: null, number, boolean, string,
//       {"hex": "..."} for binary, {"date": ISO-UTC, "ns": nanosecondsDelta (s)}
//   {"done": rowCount} or {"error": {"number", "message"}}
// cancel: starts SQL, cancels it after the first row, then runs SELECT 1
//   on the same connection and prints {"cancelled": rows, "after": value}.
// Login failures print {"login_error": {"code", "message"}} and exit 2.
'use strict';
const { Connection, Request } = require('tedious');

const [port, user, password, mode, ...sqls] = process.argv.slice(2);

function show(v) {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return { hex: v.toString('hex') };
  if (v instanceof Date) {
    return { date: v.toISOString(), ns: v.nanosecondsDelta || 0 };
  }
  return v;
}

function out(o) { process.stdout.write(JSON.stringify(o) + '\n'); }

const conn = new Connection({
  server: '127.0.0.1',
  authentication: { type: 'default', options: { userName: user, password } },
  options: {
    port: Number(port), encrypt: false, trustServerCertificate: true,
    database: 'POHODA', connectTimeout: 5000, requestTimeout: 20000,
    useUTC: true,
  },
});

const timer = setTimeout(() => { out({ timeout: true }); process.exit(3); },
  25000);

function runQueries(list, done) {
  if (list.length === 0) return done();
  const sql = list[0];
  const req = new Request(sql, (err, rowCount) => {
    if (err) out({ error: { number: err.number, message: err.message } });
    else out({ done: rowCount });
    runQueries(list.slice(1), done);
  });
  req.on('columnMetadata', (cols) => {
    out({ cols: cols.map((c) => ({
      name: c.colName, type: c.type.name, precision: c.precision,
      scale: c.scale, length: c.dataLength,
      codepage: c.collation ? c.collation.codepage : null,
    })) });
  });
  req.on('row', (cols) => out({ row: cols.map((c) => show(c.value)) }));
  conn.execSqlBatch(req);
}

function runCancel(sql, done) {
  let rows = 0;
  let cancelled = false;
  const req = new Request(sql, (err) => {
    const code = err ? err.code : null;
    const after = new Request('SELECT 42 AS x', (err2) => {
      if (err2) out({ error: { number: err2.number, message: err2.message } });
      done();
    });
    after.on('row', (cols) => out({ cancelled: rows, code, after: cols[0].value }));
    conn.execSqlBatch(after);
  });
  req.on('row', () => {
    rows++;
    if (!cancelled) { cancelled = true; req.cancel(); }
  });
  conn.execSqlBatch(req);
}

conn.on('connect', (err) => {
  if (err) {
    out({ login_error: { code: err.code, message: err.message } });
    clearTimeout(timer);
    process.exit(2);
  }
  const finish = () => { clearTimeout(timer); conn.close(); };
  if (mode === 'cancel') runCancel(sqls[0], finish);
  else runQueries(sqls, finish);
});
conn.on('error', (e) => { out({ conn_error: String(e) }); });
conn.connect();

// client.js KEYFILE API_ENDPOINT DATASET GOOD.ndjson BAD.ndjson
//
// Drives the official @google-cloud/bigquery client against the fake
// server and prints one JSON line per step ({"step":..., ...}) for the
// test to check.  Nothing here knows the fake: the client is pointed at
// it only through the supported seams, apiEndpoint and an authClient.
//
// google-auth-library's service-account client signs its JWT for, and
// posts it to, Google's fixed token URL, whatever token_uri the key file
// names.  The library's own seams fix both: additionalClaims sets the
// JWT's aud to the key file's token_uri, and a request interceptor on
// the client's transporter sends the token request there.
'use strict';

const fs = require('fs');
const {BigQuery} = require('@google-cloud/bigquery');
const {JWT} = require('google-auth-library');

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function errInfo(e) {
  return {
    code: e.code,
    message: e.message,
    reasons: (e.errors || []).map(x => x.reason),
    messages: (e.errors || []).map(x => x.message),
  };
}

function authClient(key) {
  const jwt = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: ['https://www.googleapis.com/auth/bigquery'],
    additionalClaims: {aud: key.token_uri},
  });
  jwt.transporter.interceptors.request.add({
    resolved: async config => {
      if (String(config.url) === GOOGLE_TOKEN_URL) {
        config.url = key.token_uri;
      }
      return config;
    },
  });
  return jwt;
}

async function main() {
  const [keyFile, apiEndpoint, dsName, goodFile, badFile] =
    process.argv.slice(2);
  const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  const bq = new BigQuery({
    projectId: key.project_id,
    apiEndpoint,
    authClient: authClient(key),
  });
  const schema = {
    fields: [
      {name: 'n', type: 'INT64', mode: 'REQUIRED'},
      {name: 'amount', type: 'NUMERIC'},
      {name: 'name', type: 'STRING'},
      {name: 'day', type: 'DATE'},
      {name: 'at', type: 'TIMESTAMP'},
      {name: 'ok', type: 'BOOL'},
    ],
  };

  const [dataset] = await bq.createDataset(dsName, {location: 'EU'});
  const [dsMeta] = await dataset.getMetadata();
  out({step: 'dataset', id: dataset.id, location: dsMeta.location});

  const table = dataset.table('t');
  const [loadJob] = await table.load(goodFile, {
    sourceFormat: 'NEWLINE_DELIMITED_JSON',
    schema,
    writeDisposition: 'WRITE_TRUNCATE',
    jobId: 'fid_load_1',
  });
  out({
    step: 'load',
    jobId: loadJob.jobReference.jobId,
    state: loadJob.status.state,
    outputRows: loadJob.statistics.load.outputRows,
  });

  const [rows] = await table.getRows({wrapIntegers: true});
  for (const r of rows) {
    out({
      step: 'row',
      n: r.n === null ? null : String(r.n.value),
      amount: r.amount === null ? null : r.amount.toFixed(),
      name: r.name,
      day: r.day === null ? null : r.day.value,
      at: r.at === null ? null : r.at.value,
      ok: r.ok,
    });
  }
  const [page1, next] = await table.getRows({
    maxResults: 2, autoPaginate: false});
  const [page2, after] = await table.getRows(next);
  out({step: 'paged', first: page1.length, second: page2.length,
    token: Boolean(next && next.pageToken), end: after === null});

  const [meta] = await table.getMetadata();
  out({step: 'table', numRows: meta.numRows,
    fields: meta.schema.fields.map(f => f.name + ':' + f.type)});

  try {
    await table.load(goodFile, {
      sourceFormat: 'NEWLINE_DELIMITED_JSON',
      schema,
      writeDisposition: 'WRITE_APPEND',
      jobId: 'fid_load_1',
    });
    out({step: 'duplicate', code: 200});
  } catch (e) {
    out(Object.assign({step: 'duplicate'}, errInfo(e)));
  }

  try {
    await table.load(badFile, {
      sourceFormat: 'NEWLINE_DELIMITED_JSON',
      schema,
      writeDisposition: 'WRITE_APPEND',
      jobId: 'fid_load_bad',
    });
    out({step: 'bad', code: 200});
  } catch (e) {
    out(Object.assign({step: 'bad'}, errInfo(e)));
  }

  const copyTo = dataset.table('t_copy');
  const [copyJob] = await table.copy(copyTo, {
    writeDisposition: 'WRITE_TRUNCATE',
    jobId: 'fid_copy_1',
  });
  const [copied] = await copyTo.getRows();
  out({step: 'copy', state: copyJob.status.state,
    copiedRows: copyJob.statistics.copy.copiedRows, rows: copied.length});

  await table.delete();
  const [exists] = await table.exists();
  out({step: 'delete', exists});
  try {
    await table.delete();
    out({step: 'delete_again', code: 200});
  } catch (e) {
    out(Object.assign({step: 'delete_again'}, errInfo(e)));
  }
  await dataset.delete({force: true});
  const [dsExists] = await dataset.exists();
  out({step: 'dataset_deleted', exists: dsExists});
}

main().catch(e => {
  out(Object.assign({step: 'fatal'}, errInfo(e)));
  process.exitCode = 1;
});

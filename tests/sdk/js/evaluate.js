// Evaluates the operator's flag documents with the JS OpenFeature flagd code and prints, per
// percent, which users were served "on" (tests/sdk/check.py judges it).
//   node evaluate.js core DIR      @openfeature/flagd-core's FlagdCore, fed the document text
//   node evaluate.js provider DIR  @openfeature/server-sdk + @openfeature/flagd-provider,
//                                  resolverType in-process with offlineFlagSourcePath (file mode)
// Modules come from NODE_PATH (the cache hack/install-sdks.sh fills).
'use strict';
const fs = require('fs');
const path = require('path');

const [mode, dir] = process.argv.slice(2);
const fixture = JSON.parse(fs.readFileSync(path.join(dir, 'fixture.json'), 'utf8'));
const users = [...fixture.users.ascii, ...fixture.users.nonAscii];
// Some packages do not export package.json, so read it where NODE_PATH has the package.
function version(pkg) {
  for (const base of (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(base, pkg, 'package.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  }
  return 'unknown';
}

function bitsOf(values) {
  return values.map((v) => (v === true ? '1' : '0')).join('');
}

function core() {
  const { FlagdCore } = require('@openfeature/flagd-core');
  const results = {};
  for (const p of fixture.percents) {
    const flagdCore = new FlagdCore();
    flagdCore.setConfigurations(fs.readFileSync(path.join(dir, fixture.documents[p]), 'utf8'));
    const resolve = (targetingKey) => flagdCore.resolveBooleanEvaluation(fixture.flag, false, { targetingKey });
    let errors = 0;
    const values = users.map((u) => {
      const r = resolve(u);
      if (r.errorCode) errors++;
      return r.value;
    });
    const empty = resolve('');
    const vectors = fixture.vectors.users.map(
      (u) => flagdCore.resolveBooleanEvaluation(fixture.vectors.flag, false, { targetingKey: u }).value);
    results[p] = { bits: bitsOf(values), errors, emptyKey: empty.value, emptyKeyReason: empty.reason,
                   flagMetadata: resolve(users[0]).flagMetadata, vectorBits: bitsOf(vectors) };
  }
  return { sdk: '@openfeature/flagd-core', version: version('@openfeature/flagd-core'), results };
}

async function provider() {
  const { OpenFeature } = require('@openfeature/server-sdk');
  const { FlagdProvider } = require('@openfeature/flagd-provider');
  const results = {};
  for (const p of fixture.percents) {
    const domain = `percent-${p}`;
    await OpenFeature.setProviderAndWait(domain, new FlagdProvider({
      resolverType: 'in-process', offlineFlagSourcePath: path.join(dir, fixture.documents[p]) }));
    const client = OpenFeature.getClient(domain);
    const details = (targetingKey) => client.getBooleanDetails(fixture.flag, false, { targetingKey });
    let errors = 0;
    const values = [];
    for (const u of users) {
      const d = await details(u);
      if (d.errorCode) errors++;
      values.push(d.value);
    }
    const empty = await details('');
    const vectors = [];
    for (const u of fixture.vectors.users) vectors.push(await client.getBooleanValue(fixture.vectors.flag, false, { targetingKey: u }));
    results[p] = { bits: bitsOf(values), errors, emptyKey: empty.value, emptyKeyReason: empty.reason,
                   flagMetadata: (await details(users[0])).flagMetadata, vectorBits: bitsOf(vectors) };
  }
  await OpenFeature.close();
  return { sdk: '@openfeature/flagd-provider', version: version('@openfeature/flagd-provider'),
           with: { '@openfeature/server-sdk': version('@openfeature/server-sdk'),
                   '@openfeature/flagd-core': version('@openfeature/flagd-core') }, results };
}

(async () => {
  const start = Date.now();
  const out = mode === 'core' ? core() : mode === 'provider' ? await provider() : null;
  if (!out) throw new Error(`unknown mode ${mode} (core|provider)`);
  out.runtime = `node ${process.version}`;
  out.elapsedMs = Date.now() - start;
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch((e) => {
  console.error(`evaluate.js: ${e.stack || e}`);
  process.exit(1);
});

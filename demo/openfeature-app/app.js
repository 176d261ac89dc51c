#!/usr/bin/env node
'use strict';
// The demo's application (issue 12): synthetic users user-0001..user-N send requests at a steady
// rate, and every request evaluates every flag through the OpenFeature server SDK with the flagd
// provider in in-process mode on an offline flag file, configured only by the environment a pod
// gets from the operator's file delivery:
//   FLAGD_RESOLVER=in-process
//   FLAGD_OFFLINE_FLAG_SOURCE_PATH=<mountPath>/flags.flagd.json
// The provider reads and re-reads that file itself (fs.watchFile, about every 5 s). This app reads
// the file only to know the flag names and their declared percent; no bucketing code of ours is
// involved in who gets a flag. Metrics and the control endpoint are those of the C++ demo service
// (demo/service/README.md), plus demo_flag_document_revision and GET /users?flag=NAME.
// See README.md beside this file.
const fs = require('node:fs');
const http = require('node:http');
const { OpenFeature, ProviderEvents } = require('@openfeature/server-sdk');
const { FlagdProvider } = require('@openfeature/flagd-provider');
const promClient = require('prom-client');
const { readFlagFile } = require('./lib/flagfile');
const { FaultRegistry, handleFaults, parseQuery } = require('./lib/faults');

// ---- options ---------------------------------------------------------------------------------
const USAGE = `usage: app.js [--users N] [--rate R] [--seed S] [--metrics-address HOST:PORT]
              [--control-address HOST:PORT] [--log-level debug|info|warn|error]
environment: FLAGD_RESOLVER=in-process, FLAGD_OFFLINE_FLAG_SOURCE_PATH=<file> (required)`;

function usage(msg) {
  process.stderr.write(`app.js: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseAddress(name, v) {
  const m = /^([^:]+):([0-9]{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) usage(`${name} "${v}" is not HOST:PORT`);
  return { host: m[1], port: Number(m[2]) };
}

function parseOptions(argv) {
  const o = {
    users: 1000, rate: 50, seed: 1, logLevel: 'info',
    metrics: { host: '127.0.0.1', port: 9464 }, control: { host: '127.0.0.1', port: 9465 },
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) usage(`${name} needs a value`);
    switch (name) {
      case '--users': o.users = Number(value); if (!Number.isInteger(o.users) || o.users < 1 || o.users > 1000000) usage(`--users "${value}" is not 1..1000000`); break;
      case '--rate': o.rate = Number(value); if (!Number.isFinite(o.rate) || o.rate <= 0 || o.rate > 100000) usage(`--rate "${value}" is not a positive number up to 100000`); break;
      case '--seed': o.seed = Number(value); if (!Number.isInteger(o.seed) || o.seed < 0) usage(`--seed "${value}" is not a whole number`); break;
      case '--metrics-address': o.metrics = parseAddress(name, value); break;
      case '--control-address': o.control = parseAddress(name, value); break;
      case '--log-level': if (!['debug', 'info', 'warn', 'error'].includes(value)) usage(`--log-level "${value}" is not one of debug, info, warn, error`); o.logLevel = value; break;
      default: usage(`unknown option ${name}`);
    }
  }
  return o;
}

const opts = parseOptions(process.argv.slice(2));
const resolver = process.env.FLAGD_RESOLVER || '';
const flagFile = process.env.FLAGD_OFFLINE_FLAG_SOURCE_PATH || '';
if (resolver.toLowerCase() !== 'in-process') usage(`FLAGD_RESOLVER must be "in-process" (got "${resolver}")`);
if (!flagFile) usage('FLAGD_OFFLINE_FLAG_SOURCE_PATH must name the flag file (e.g. /etc/feature-flags/flags.flagd.json)');

// ---- log ---------------------------------------------------------------------------------------
const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };
function log(level, msg) {
  if (LEVELS[level] < LEVELS[opts.logLevel]) return;
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}\n`);
}
const providerLogger = {
  debug: (...a) => log('debug', 'flagd provider: ' + a.join(' ')),
  info: (...a) => log('info', 'flagd provider: ' + a.join(' ')),
  warn: (...a) => log('warn', 'flagd provider: ' + a.join(' ')),
  error: (...a) => log('error', 'flagd provider: ' + a.join(' ')),
};

// ---- metrics -----------------------------------------------------------------------------------
const registry = new promClient.Registry();
const requests = new promClient.Counter({
  name: 'http_requests_total', help: 'Synthetic requests by status code and the faulty flag path taken ("none": no fault)',
  labelNames: ['code', 'flag'], registers: [registry],
});
// Baseline 30..70 ms; injected latencies of 1.5 s and 3 s get narrow buckets just above them (as
// demo/service/DemoMetrics.cpp).
const duration = new promClient.Histogram({
  name: 'http_request_duration_seconds', help: 'Synthetic request latency by the faulty flag path taken ("none": no fault)',
  labelNames: ['flag'], registers: [registry],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.6, 2, 2.5, 3, 3.1, 3.5, 4, 5],
});
const flagRequests = new promClient.Counter({
  name: 'demo_flag_requests_total', help: 'Requests of users who have the flag (OpenFeature evaluation), by flag and status code',
  labelNames: ['flag', 'code'], registers: [registry],
});
const flagPercent = new promClient.Gauge({
  name: 'demo_flag_percent', help: 'Share of users the flag document declares for the flag, as last read from the flag file',
  labelNames: ['flag'], registers: [registry],
});
const usersWithFlag = new promClient.Gauge({
  name: 'demo_users_with_flag', help: 'Simulated users the OpenFeature SDK serves the flag to',
  labelNames: ['flag'], registers: [registry],
});
const usersGauge = new promClient.Gauge({ name: 'demo_users', help: 'Simulated users', registers: [registry] });
const revisionGauge = new promClient.Gauge({
  name: 'demo_flag_document_revision',
  help: 'metadata.revision of the flag document the last OpenFeature evaluation was served from (flagMetadata)',
  registers: [registry],
});
usersGauge.set(opts.users);

// ---- users, randomness, pacing -----------------------------------------------------------------
const width = Math.max(4, String(opts.users).length);
const userId = (i) => 'user-' + String(i).padStart(width, '0');
const allUsers = Array.from({ length: opts.users }, (_, i) => userId(i + 1));

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(opts.seed);

// Requests due now for a steady rate; after a stall at most one second of backlog (LoadPacer.cpp).
class Pacer {
  constructor(rate, start) { this.rate = rate; this.start = start; this.sent = 0; }
  due(now) {
    const elapsed = (now - this.start) / 1000;
    if (elapsed <= 0) return 0;
    const target = Math.floor(elapsed * this.rate);
    const cap = Math.ceil(this.rate);
    if (target - this.sent > cap) this.sent = target - cap;
    const n = target - this.sent;
    this.sent = target;
    return n;
  }
}

// ---- OpenFeature -------------------------------------------------------------------------------
const client = OpenFeature.getClient('fro-openfeature-demo-app');
let servedRevision;  // metadata.revision of the last evaluation, from flagMetadata
// The exposure signal: flagd-core merges the document's top-level "metadata" into every flag's
// flagMetadata, so the revision the operator stamps is visible on each evaluation.
OpenFeature.addHooks({
  after(_hookContext, details) {
    const rev = details.flagMetadata ? details.flagMetadata.revision : undefined;
    if (typeof rev !== 'number' || !Number.isFinite(rev)) return;
    revisionGauge.set(rev);
    if (rev !== servedRevision) {
      const rollout = details.flagMetadata.rollout;
      log('info', `serving flag document revision ${rev}${rollout ? ` (rollout ${rollout})` : ''}` +
        (servedRevision === undefined ? '' : `, was ${servedRevision}`));
      servedRevision = rev;
    }
  },
});

const faults = new FaultRegistry();
let flagNames = [];          // sorted; every name seen in the document so far
const declared = new Map();  // name -> declared percent in the current document (absent: 0)
const served = new Map();    // name -> users served the flag at the last sweep
const definitions = new Map();  // name -> its definition (JSON) at the last sweep

// Every user's value of one flag, through the SDK; retried when the document changed mid-sweep.
// One sweep per flag and provider configuration: configGen moves on every Ready and
// ConfigurationChanged event, which the provider emits after it stored the new document.
let configGen = 0;
const sweeps = new Map();  // flag -> {gen, promise}
function sweep(flag) {
  const s = sweeps.get(flag);
  if (s && s.gen === configGen) return s.promise;
  const promise = sweepNow(flag);
  sweeps.set(flag, { gen: configGen, promise });
  promise.catch(() => sweeps.delete(flag));
  return promise;
}
async function sweepNow(flag) {
  for (let attempt = 0; ; ++attempt) {
    const users = [];
    const revisions = new Set();
    let error;
    for (const u of allUsers) {
      const d = await client.getBooleanDetails(flag, false, { targetingKey: u });
      revisions.add(d.flagMetadata ? d.flagMetadata.revision : undefined);
      if (d.errorCode) error = d.errorCode;
      if (d.value === true) users.push(u);
    }
    if (revisions.size <= 1 || attempt >= 3) return { users, revision: [...revisions][0], error };
  }
}

let refreshChain = Promise.resolve();
function refreshFlags(why) {
  refreshChain = refreshChain.then(async () => {
    let doc;
    try {
      doc = readFlagFile(flagFile);
    } catch (e) {
      log('warn', `reading ${flagFile} for the flag names: ${e.message}`);
      return;
    }
    const names = new Set([...flagNames, ...doc.flags.keys()]);
    flagNames = [...names].sort();
    for (const name of flagNames) {
      const before = declared.has(name) ? declared.get(name) : undefined;
      const now = doc.flags.has(name) ? doc.flags.get(name) : 0;
      declared.set(name, now);
      if (now !== null) flagPercent.set({ flag: name }, now);
      // Only a flag whose definition changed can be served to other users (a new revision in the
      // document's metadata alone changes nobody's value).
      const def = doc.definitions.get(name) || '';
      if (definitions.get(name) === def && served.has(name)) continue;
      definitions.set(name, def);
      const s = await sweep(name);
      const prevServed = served.get(name);
      served.set(name, s.users.length);
      usersWithFlag.set({ flag: name }, s.users.length);
      if (before !== now || prevServed !== s.users.length) {
        log('info', `flag ${name}: ${before === undefined ? 'new' : before + '%'} -> ${now === null ? '?' : now + '%'} ` +
          `(${why}; the SDK serves it to ${s.users.length} of ${opts.users} simulated users)`);
      }
    }
  }).catch((e) => log('error', `refreshing the flags: ${e.stack || e}`));
  return refreshChain;
}

OpenFeature.addHandler(ProviderEvents.Ready, () => { ++configGen; refreshFlags('provider ready'); });
OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, () => { ++configGen; refreshFlags('flag file changed'); });
OpenFeature.addHandler(ProviderEvents.Error, (d) => log('warn', `flagd provider error: ${d && d.message}`));

let stopping = false;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The provider reads the file when it initialises and fails for a missing file, so it is set up
// once the file is there (a pod's mount is there at start; the mirror may still be catching up).
// Until then every evaluation goes through the SDK's default provider and gets the default (off).
async function startProvider() {
  let waited = false;
  while (!stopping) {
    if (!fs.existsSync(flagFile)) {
      if (!waited) log('info', `waiting for the flag file ${flagFile} (until then every flag evaluates to its default, off)`);
      waited = true;
      await sleep(250);
      continue;
    }
    try {
      await OpenFeature.setProviderAndWait(new FlagdProvider({}, providerLogger));
      log('info', `flagd provider ready: resolver ${resolver}, offline flag file ${flagFile}`);
      return;
    } catch (e) {
      log('warn', `flagd provider did not start on ${flagFile}: ${e.message}; retrying in 1 s`);
      await sleep(1000);
    }
  }
}

async function simulate(user) {
  let seconds = 0.03 + 0.04 * random();
  let code = random() < 0.005 ? 500 : 200;
  let faultFlag = 'none';
  const has = [];
  for (const flag of flagNames) {
    if (!(await client.getBooleanValue(flag, false, { targetingKey: user }))) continue;
    has.push(flag);
    const f = faults.get(flag);
    if (!f) continue;
    if (faultFlag === 'none') faultFlag = flag;
    seconds += f.latencyMs / 1000;
    if (f.errorRate > 0 && random() < f.errorRate) code = 500;
  }
  const c = String(code);
  requests.inc({ code: c, flag: faultFlag });
  duration.observe({ flag: faultFlag }, seconds);
  for (const flag of has) flagRequests.inc({ flag, code: c });
}

async function loadLoop() {
  const pacer = new Pacer(opts.rate, Date.now());
  while (!stopping) {
    await sleep(20);
    const n = pacer.due(Date.now());
    for (let i = 0; i < n && !stopping; ++i) {
      await simulate(allUsers[Math.floor(random() * opts.users)]);
    }
  }
}

// ---- HTTP --------------------------------------------------------------------------------------
function listen(server, addr) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => resolve(server.address().port));
  });
}

async function usersEndpoint(method, rawQuery) {
  const reply = (status, body) => ({ status, body: JSON.stringify(body) + '\n', contentType: 'application/json' });
  if (method !== 'GET') return reply(405, { error: 'use GET /users?flag=NAME' });
  let q;
  try { q = parseQuery(rawQuery); } catch (e) { return reply(400, { error: e.message }); }
  for (const k of q.keys()) if (k !== 'flag') return reply(400, { error: `unknown parameter "${k}" (allowed: flag)` });
  const flag = q.get('flag');
  if (!flag) return reply(400, { error: 'parameter "flag" is required' });
  const s = await sweep(flag);
  if (s.error === 'FLAG_NOT_FOUND') return reply(404, { error: `flag "${flag}" is not in the flag document`, revision: s.revision ?? null });
  return reply(200, {
    flag, revision: s.revision ?? null, declaredPercent: declared.has(flag) ? declared.get(flag) : null,
    total: opts.users, count: s.users.length, users: s.users,
  });
}

function server(handler) {
  return http.createServer((req, res) => {
    const url = req.url || '/';
    const qpos = url.indexOf('?');
    const path = qpos < 0 ? url : url.slice(0, qpos);
    const query = qpos < 0 ? '' : url.slice(qpos + 1);
    Promise.resolve(handler(req.method, path, query)).then((r) => {
      res.writeHead(r.status, { 'Content-Type': r.contentType });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    }).catch((e) => {
      log('error', `${req.method} ${url}: ${e.stack || e}`);
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: String(e.message || e) }) + '\n');
    });
  });
}

const metricsServer = server(async (method, path) => {
  if (path !== '/metrics') return { status: 404, body: 'try /metrics\n', contentType: 'text/plain' };
  return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
});
const controlServer = server(async (method, path, query) => {
  if (path === '/users') return usersEndpoint(method, query);
  const r = handleFaults(faults, method, path, query);
  if (r === null) return { status: 404, body: JSON.stringify({ error: `no route ${path} (try /faults, /users or /healthz)` }) + '\n', contentType: 'application/json' };
  if (path === '/faults') {
    const level = method === 'GET' || method === 'HEAD' ? 'debug' : r.status >= 400 ? 'warn' : 'info';
    log(level, `control: ${method} ${path}${query ? '?' + query : ''} -> ${r.status} ${r.body.trim()}`);
  }
  return r;
});

async function main() {
  let metricsPort;
  let controlPort;
  try {
    metricsPort = await listen(metricsServer, opts.metrics);
    controlPort = await listen(controlServer, opts.control);
  } catch (e) {
    log('error', `bind: ${e.message}`);
    process.exit(1);
  }
  log('info', `serving metrics on http://${opts.metrics.host}:${metricsPort}/metrics, control on ` +
    `http://${opts.control.host}:${controlPort}/faults; ${opts.users} users, ${opts.rate} req/s, seed ${opts.seed}`);
  log('info', `OpenFeature server SDK with the flagd provider: FLAGD_RESOLVER=${resolver} FLAGD_OFFLINE_FLAG_SOURCE_PATH=${flagFile}`);
  const load = loadLoop();
  await startProvider();
  await load;
}

async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log('info', `${signal}: stopping`);
  metricsServer.close();
  controlServer.close();
  try { await OpenFeature.close(); } catch (e) { log('warn', `closing OpenFeature: ${e.message}`); }
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

main().catch((e) => { log('error', e.stack || String(e)); process.exit(1); });

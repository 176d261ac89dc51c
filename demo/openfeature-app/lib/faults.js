'use strict';
// The fault registry and the /faults control endpoint, with the same rules and answers as the
// C++ demo service (demo/service/ControlApi.cpp, demo/service/README.md "Control endpoint").

const MAX_LATENCY_MS = 60000;
const FLAG_NAME = /^[A-Za-z0-9_.-]{1,253}$/;

class FaultRegistry {
  constructor() {
    this.faults = new Map();  // flag -> {errorRate, latencyMs}
  }
  set(flag, spec) { this.faults.set(flag, spec); }
  clear(flag) { return this.faults.delete(flag); }
  clearAll() { const n = this.faults.size; this.faults.clear(); return n; }
  get(flag) { return this.faults.get(flag); }
  list() {
    return [...this.faults.keys()].sort().map((flag) => ({ flag, ...this.faults.get(flag) }));
  }
}

function percentDecode(s) {
  let out = '';
  for (let i = 0; i < s.length; ++i) {
    if (s[i] === '+') out += ' ';
    else if (s[i] === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`bad %-escape in "${s}"`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else out += s[i];
  }
  return out;
}

// "a=1&b=2" -> Map; a repeated or empty parameter name is an error.
function parseQuery(query) {
  const out = new Map();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = percentDecode(eq < 0 ? part : part.slice(0, eq));
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1));
    if (name === '') throw new Error('empty parameter name');
    if (out.has(name)) throw new Error(`parameter "${name}" given more than once`);
    out.set(name, value);
  }
  return out;
}

function onlyKnown(q, known) {
  for (const k of q.keys()) {
    if (!known.includes(k)) throw new Error(`unknown parameter "${k}" (allowed: ${known.join(', ')})`);
  }
}

function parseRate(v) {
  const d = /^[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?$/i.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(d) || d < 0 || d > 1) throw new Error(`errorRate "${v}" is not a number from 0 to 1`);
  return d;
}

function parseLatency(v) {
  const ms = /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_LATENCY_MS) {
    throw new Error(`latencyMs "${v}" is not a whole number from 0 to ${MAX_LATENCY_MS}`);
  }
  return ms;
}

const json = (status, body) => ({ status, body: JSON.stringify(body) + '\n', contentType: 'application/json' });
const fail = (status, message) => json(status, { error: message });

// One request to /faults or /healthz: {status, body, contentType}; null for another path (the
// app serves /users itself).
function handleFaults(registry, method, path, rawQuery) {
  if (path === '/healthz') {
    if (method !== 'GET' && method !== 'HEAD') return fail(405, 'use GET /healthz');
    return { status: 200, body: 'ok\n', contentType: 'text/plain' };
  }
  if (path !== '/faults') return null;
  let q;
  try {
    q = parseQuery(rawQuery);
  } catch (e) {
    return fail(400, e.message);
  }
  try {
    if (method === 'GET') {
      if (q.size) return fail(400, 'GET /faults takes no parameters');
      return json(200, { faults: registry.list() });
    }
    if (method === 'POST') {
      onlyKnown(q, ['flag', 'errorRate', 'latencyMs']);
      if (!q.has('flag')) return fail(400, 'parameter "flag" is required');
      const flag = q.get('flag');
      if (!FLAG_NAME.test(flag)) return fail(400, `flag "${flag}" is not a flag name (letters, digits, '_', '.', '-')`);
      if (!q.has('errorRate') && !q.has('latencyMs')) {
        return fail(400, `give errorRate (0..1) and/or latencyMs (0..${MAX_LATENCY_MS})`);
      }
      const spec = { errorRate: 0, latencyMs: 0 };
      if (q.has('errorRate')) spec.errorRate = parseRate(q.get('errorRate'));
      if (q.has('latencyMs')) spec.latencyMs = parseLatency(q.get('latencyMs'));
      registry.set(flag, spec);
      return json(200, { fault: { flag, ...spec } });
    }
    if (method === 'DELETE') {
      onlyKnown(q, ['flag']);
      if (!q.has('flag')) return json(200, { cleared: registry.clearAll() });
      return json(200, { flag: q.get('flag'), cleared: registry.clear(q.get('flag')) ? 1 : 0 });
    }
  } catch (e) {
    return fail(400, e.message);
  }
  return fail(405, `method ${method} not allowed on /faults (GET, POST, DELETE)`);
}

module.exports = { FaultRegistry, handleFaults, parseQuery, MAX_LATENCY_MS };

'use strict';
// What the app reads from the flag document itself: only the flag names (users are bucketed on
// the name), the percent each one declares (for the demo_flag_percent gauge) and the top-level
// metadata. The evaluation of a flag for a user never happens here: it goes through the
// OpenFeature SDK and its flagd provider (app.js).
const fs = require('node:fs');

// The share of users a flagd boolean flag declares, the way demo/service/FlagConfig.cpp reads it:
// DISABLED is 0; a "fractional" rule gives the share of weight on variants whose value is true;
// without targeting, defaultVariant on is 100 and off is 0. null when the shape is not one of
// these (the SDK still evaluates it; only the gauge is left out).
function declaredPercent(def) {
  if (!def || typeof def !== 'object') return null;
  if (def.state === 'DISABLED') return 0;
  const variants = def.variants && typeof def.variants === 'object' ? def.variants : {};
  const onVariants = new Set(Object.keys(variants).filter((v) => variants[v] === true));
  const t = def.targeting;
  if (t && typeof t === 'object' && Object.keys(t).length > 0) {
    if (!Array.isArray(t.fractional)) return null;
    let on = 0;
    let total = 0;
    for (const bucket of t.fractional) {
      if (!Array.isArray(bucket) || typeof bucket[0] !== 'string') continue;  // the bucketing-key expression
      const w = bucket.length >= 2 ? Number(bucket[1]) : 1;
      if (!Number.isFinite(w) || w < 0) return null;
      total += w;
      if (onVariants.has(bucket[0])) on += w;
    }
    return total > 0 ? Math.round((100 * on) / total) : null;
  }
  if (typeof def.defaultVariant !== 'string') return null;
  return onVariants.has(def.defaultVariant) ? 100 : 0;
}

// Reads and parses the document: {flags: Map name -> declared percent (or null), definitions,
// metadata}.
// Throws with the path in the message when it cannot be read or is not a flag document.
function readFlagFile(path) {
  const text = fs.readFileSync(path, 'utf8');
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${e.message})`);
  }
  if (!doc || typeof doc !== 'object' || !doc.flags || typeof doc.flags !== 'object') {
    throw new Error(`${path}: no "flags" object`);
  }
  const flags = new Map();
  const definitions = new Map();  // name -> the flag's definition as JSON (what its users depend on)
  for (const name of Object.keys(doc.flags).sort()) {
    flags.set(name, declaredPercent(doc.flags[name]));
    definitions.set(name, JSON.stringify(doc.flags[name]));
  }
  return { flags, definitions, metadata: doc.metadata && typeof doc.metadata === 'object' ? doc.metadata : {} };
}

module.exports = { declaredPercent, readFlagFile };

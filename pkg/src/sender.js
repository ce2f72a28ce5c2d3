// Records and sends experiment events (`flags.events`): the queue, the
// exposures' dedup, the counters, and delivery to the Worker's POST
// /v1/events. events.js has already checked the options.
//
// - Queue: at most maxQueue events; when full, the oldest is dropped and
//   counted (`dropped`).
// - Dedup: an exposure's (flag, variant, unit) is remembered in a Set kept
//   in least-recently-seen order, at most `dedup` entries (an LRU: a hit
//   moves it to the end, a new entry past the bound evicts the first).
// - Batches of at most MAX_BATCH events and MAX_BYTES bytes, sent when
//   flushAt are queued, flushIntervalMs after the first one, on flush()
//   and close(); one request at a time.
// - 429, 5xx and network errors (timeouts included) are retried with
//   exponential backoff and jitter, or after Retry-After, the batch
//   unchanged, ids included, so the Worker counts each event once; any
//   other answer drops the batch. onError hears of every failed request.
// - In browsers, a page going hidden (or away) hands what is queued to
//   navigator.sendBeacon, as text/plain (no CORS preflight) with the key
//   in the body.
// - Flag usage: flags.js counts the answers it serves and calls counted()
//   the first time a count appears after a drain, which schedules a send
//   like a queued event does. Right before a batch is built (the interval,
//   flushAt, flush(), close(), a beacon) the counts are drained into usage
//   events, {type: "usage", id, time, counts: {flag: {variant: n}}}, at
//   most MAX_USAGE_PAIRS pairs and about MAX_USAGE_BYTES each, queued like
//   any other event (a retry resends the same id).
//
// Browsers load this module only when an instance records events (web.js:
// a dynamic import); it imports nothing and gets EdgeflagsError from its
// caller, so there is one class. No timer runs while nothing is queued, and
// timers are unref'd in Node: they never keep a process alive.

// The Worker's limits (edgeflags::events MAX_EVENTS, MAX_EVENTS_BYTES,
// MAX_UNIT_LEN).
const MAX_BATCH = 500;
const MAX_BYTES = 256 * 1024;
const MAX_UNIT_BYTES = 1024;
// A page's beacons share 64 KiB in flight (the Beacon spec's quota).
const MAX_BEACON_BYTES = 60000;
// A usage event's bounds: the Worker's pairs per event and count
// (edgeflags::events), and a size that fits a beacon with room to spare.
const MAX_USAGE_PAIRS = 1000;
const MAX_USAGE_COUNT = 1e9;
const MAX_USAGE_BYTES = 50000;
// Retries wait 1 s, 2 s, 4 s ... at most 60 s, times a random 0.5 to 1.
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60000;

const DEFAULTS = { flushAt: 50, flushIntervalMs: 5000, maxQueue: 10000, dedup: 10000, maxRetries: Infinity, timeout: 10000 };

const ENCODER = new TextEncoder();

function bytes(s) {
  return s.length * 3 <= MAX_BEACON_BYTES ? s.length : ENCODER.encode(s).length;
}

// The first events of `events` (at most MAX_BATCH) whose body fits in
// `limit` bytes, and that body: [count, json].
function body(events, key, limit) {
  let n = Math.min(events.length, MAX_BATCH);
  for (;;) {
    const part = events.slice(0, n);
    const json = JSON.stringify(key === undefined ? { events: part } : { key, events: part });
    if (n === 1 || bytes(json) <= limit) return [n, json];
    n = Math.ceil(n / 2);
  }
}

// A random event id. crypto.randomUUID needs a secure context (https,
// localhost), getRandomValues does not; Node 18 has neither as a global
// without a flag: Math.random's 128 bits are unique enough for an id.
function randomId() {
  const c = globalThis.crypto;
  if (c !== undefined && typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c !== undefined ? c.getRandomValues(new Uint8Array(16)) : Array.from({ length: 16 }, () => (Math.random() * 256) | 0);
  return Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
}

// Adds the counts of a usage table (flags.js: by global variant index;
// `base` says where each flag's variants start) to `into`, by flag key
// then variant name, in null-prototype objects (a key may be "__proto__");
// null while empty. Zeroes the table.
function fold(into, use, keys, base, names) {
  for (let i = 0; i < keys.length; i++) {
    for (let j = base[i]; j < base[i + 1]; j++) {
      const n = use[j];
      if (n === 0) continue;
      if (into === null) into = Object.create(null);
      const by = into[keys[i]] || (into[keys[i]] = Object.create(null));
      by[names[j]] = (by[names[j]] || 0) + n;
    }
  }
  use.fill(0);
  return into;
}

// The UTF-8 bytes of a name as a JSON string (quotes and escapes included).
function jsonBytes(s) {
  return ENCODER.encode(JSON.stringify(s)).length;
}

export class Events {
  constructor(o, Err, flags) {
    this.Err = Err;
    // Where usage counts are drained from (flags.js Flags), or undefined
    // (options.events.usage false); whether some were counted since the
    // last drain; those of replaced rulesets, by name (fold).
    this.flags = flags;
    this.counting = false;
    this.carry = null;
    this.url = String(o.url);
    this.key = o.key;
    this.onError = o.onError;
    this.fetch = o.fetch;
    for (const k in DEFAULTS) this[k] = o[k] === undefined ? DEFAULTS[k] : o[k];
    // The queue is q from index h on (taking and dropping move h).
    this.q = [];
    this.h = 0;
    this.seen = new Set();
    this.n = { sent: 0, dropped: 0, failed: 0, retries: 0 };
    this.closed = false;
    // The batch taken off the queue and not yet accepted ([events, json]),
    // kept as is across retries; its failed tries.
    this.batch = null;
    this.tries = 0;
    this.timer = undefined;
    // The running send loop's promise; whether a request is out.
    this.running = null;
    this.inFlight = false;
    const doc = typeof document === 'object' ? document : null;
    if (doc !== null && typeof navigator === 'object' && typeof navigator.sendBeacon === 'function') {
      this.onHide = () => {
        if (doc.visibilityState === 'hidden') this.beacon();
      };
      this.onLeave = () => this.beacon();
      doc.addEventListener('visibilitychange', this.onHide);
      addEventListener('pagehide', this.onLeave);
      this.doc = doc;
    }
  }

  /** `{ queued, sent, dropped, failed, retries }`, a snapshot. */
  get stats() {
    return Object.assign({ queued: this.size() + (this.batch === null ? 0 : this.batch[0].length) }, this.n);
  }

  size() {
    return this.q.length - this.h;
  }

  exposure(flag, variant, unit, version, time) {
    if (this.dedup > 0) {
      const k = `${flag}\u0000${variant}\u0000${unit}`;
      const seen = this.seen;
      if (seen.delete(k)) {
        seen.add(k);
        return;
      }
      if (seen.size >= this.dedup) seen.delete(seen.values().next().value);
      seen.add(k);
    }
    // The core's unit may be longer than the Worker takes.
    if (unit.length * 3 > MAX_UNIT_BYTES && ENCODER.encode(unit).length > MAX_UNIT_BYTES) {
      this.n.dropped++;
      return;
    }
    this.push({ type: 'exposure', flag, variant, unit, id: randomId(), time: time || Date.now(), version });
  }

  outcome(flag, variant, version, fields, time) {
    this.push(Object.assign({ type: 'outcome', flag, variant, id: randomId(), time: time || Date.now(), version }, fields));
  }

  track(event, unit, value, time) {
    const e = { type: 'track', event, unit, id: randomId(), time: time || Date.now() };
    if (value !== undefined) e.value = value;
    this.push(e);
  }

  push(e) {
    if (this.closed) return;
    this.enqueue(e);
    this.added();
  }

  // Queues e without scheduling a send (the caller sends).
  enqueue(e) {
    if (this.size() >= this.maxQueue) {
      this.q[this.h++] = undefined;
      this.n.dropped++;
    }
    this.q.push(e);
  }

  // Flags counted an answer, the first since the last drain.
  counted() {
    if (this.counting || this.closed) return;
    this.counting = true;
    this.added();
  }

  // A load replaced the ruleset: its usage counts wait, by name, for the
  // next drain.
  keep(use, keys, base, names) {
    this.carry = fold(this.carry, use, keys, base, names);
  }

  // Drains the usage counts into usage events on the queue, right before a
  // batch is built (the caller sends them).
  usage() {
    if (!this.counting) return;
    this.counting = false;
    const f = this.flags;
    const all = fold(this.carry, f._use, f._keys, f._base, f._names);
    this.carry = null;
    if (all === null) return;
    const time = Date.now();
    let counts = null;
    let pairs = 0;
    let size = 0;
    for (const flag in all) {
      const by = all[flag];
      // "flag":{...}, and "variant":1000000000, at most.
      const flagBytes = jsonBytes(flag) + 4;
      let into = null;
      for (const variant in by) {
        const pair = jsonBytes(variant) + 12;
        if (counts !== null && (pairs === MAX_USAGE_PAIRS || size + pair + (into === null ? flagBytes : 0) > MAX_USAGE_BYTES)) {
          this.enqueue({ type: 'usage', id: randomId(), time, counts });
          counts = null;
        }
        if (counts === null) {
          counts = Object.create(null);
          pairs = 0;
          // The event's other fields.
          size = 100;
          into = null;
        }
        if (into === null) {
          into = counts[flag] = Object.create(null);
          size += flagBytes;
        }
        into[variant] = Math.min(by[variant], MAX_USAGE_COUNT);
        pairs++;
        size += pair;
      }
    }
    if (counts !== null) this.enqueue({ type: 'usage', id: randomId(), time, counts });
  }

  // Takes up to n events off the queue.
  take(n) {
    const out = this.q.slice(this.h, this.h + n);
    this.h += out.length;
    if (this.h > 1024 && this.h * 2 > this.q.length) {
      this.q = this.q.slice(this.h);
      this.h = 0;
    }
    return out;
  }

  // Calls onError, which must not break a timer or an evaluation.
  report(e) {
    try {
      if (this.onError !== undefined) this.onError(e);
    } catch {
      // The caller's handler failed: nothing left to tell.
    }
  }

  // An event was queued: send at flushAt, else in flushIntervalMs at the
  // latest; nothing while a request is out or a batch waits for its retry.
  added() {
    if (this.running !== null || (this.batch !== null && this.timer !== undefined)) return;
    if (this.size() >= this.flushAt) this.run(false);
    else if (this.timer === undefined && this.flushIntervalMs > 0) this.wait(this.flushIntervalMs);
  }

  wait(ms) {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run(true);
    }, ms);
    if (typeof this.timer === 'object' && typeof this.timer.unref === 'function') this.timer.unref();
  }

  // Runs the send loop unless it runs already (a flush waits for it, then
  // sends the rest).
  run(all) {
    if (this.running !== null) return all ? this.running.then(() => this.run(true)) : this.running;
    clearTimeout(this.timer);
    this.timer = undefined;
    const p = this.loop(all).catch((e) => {
      this.report(e);
      return false;
    });
    this.running = p;
    p.then(() => {
      this.running = null;
    });
    return p;
  }

  // Sends batches while any are queued (all) or at least flushAt, the
  // usage counts drained first; true when every one was accepted.
  async loop(all) {
    let ok = true;
    this.usage();
    while (this.batch !== null || this.size() >= (all ? 1 : this.flushAt)) {
      if (this.batch === null) {
        const [n, json] = body(this.q.slice(this.h, this.h + MAX_BATCH), undefined, MAX_BYTES);
        this.batch = [this.take(n), json];
      }
      const failure = await this.post(this.batch[1]);
      const count = this.batch[0].length;
      this.tries++;
      if (failure === null) {
        this.n.sent += count;
      } else {
        ok = false;
        const status = failure.status;
        const retry = (status === 0 || status === 429 || status >= 500) && this.tries <= this.maxRetries;
        failure.dropped = retry ? 0 : count;
        this.report(failure);
        if (retry) {
          this.n.retries++;
          this.wait(failure.after || Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.tries - 1)) * (0.5 + Math.random() / 2));
          return false;
        }
        this.n.failed += count;
      }
      this.batch = null;
      this.tries = 0;
    }
    // Queued or counted while a request was out.
    if ((this.size() > 0 || this.counting) && this.flushIntervalMs > 0) this.wait(this.flushIntervalMs);
    return ok;
  }

  // POSTs one body: null when accepted, else the EdgeflagsError to report
  // (`status` 0 for a network error or a timeout; `after`: Retry-After in ms).
  async post(json) {
    const ac = typeof AbortController === 'function' ? new AbortController() : undefined;
    const timer = ac && this.timeout > 0 ? setTimeout(() => ac.abort(), this.timeout) : undefined;
    const headers = { 'content-type': 'application/json' };
    if (this.key !== undefined) headers.authorization = `Bearer ${this.key}`;
    // Called unbound: browsers refuse a fetch called as a method of another object.
    const fetch = this.fetch || globalThis.fetch;
    let res;
    let text;
    this.inFlight = true;
    try {
      res = await fetch(this.url, { method: 'POST', headers, body: json, signal: ac && ac.signal });
      text = await res.text();
    } catch (e) {
      return this.failure(0, `POST ${this.url} failed: ${e && e.message}`, undefined, e);
    } finally {
      this.inFlight = false;
      clearTimeout(timer);
    }
    if (res.ok) return null;
    let error = {};
    try {
      error = JSON.parse(text).error || {};
    } catch {
      // Not the Worker's JSON: the status says enough.
    }
    const f = this.failure(res.status, `POST ${this.url} answered ${res.status}${error.code ? ` ${error.code}` : ''}${error.message ? `: ${error.message}` : ''}`, error.problems);
    const after = Number(res.headers.get('retry-after'));
    if (after > 0) f.after = Math.min(after * 1000, RETRY_MAX_MS);
    return f;
  }

  failure(status, message, problems, cause) {
    const e = new this.Err('EVENTS_FAILED', `edgeflags events: ${message}`, Array.isArray(problems) ? problems : undefined, cause);
    e.status = status;
    return e;
  }

  // The page is going away: what is queued (and a batch waiting for its
  // retry) goes by sendBeacon, which outlives the page. A refused beacon
  // (over the quota) leaves its events queued.
  beacon() {
    this.usage();
    if (this.batch !== null && !this.inFlight) {
      this.q = this.batch[0].concat(this.q.slice(this.h));
      this.h = 0;
      this.batch = null;
      this.tries = 0;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.size() > 0) {
      const [n, json] = body(this.q.slice(this.h, this.h + MAX_BATCH), this.key, MAX_BEACON_BYTES);
      if (!navigator.sendBeacon(this.url, new Blob([json], { type: 'text/plain' }))) break;
      this.take(n);
      this.n.sent += n;
    }
    if (this.size() > 0) this.added();
  }

  /** Sends what is queued now (a retry waiting included): true when all of it was accepted. */
  flush() {
    return this.run(true);
  }

  /** Stops recording, the timers and the page listeners, after sending what is queued (one try). */
  close() {
    if (this.doc !== undefined) {
      this.doc.removeEventListener('visibilitychange', this.onHide);
      removeEventListener('pagehide', this.onLeave);
      this.doc = undefined;
    }
    const p = this.run(true);
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return p;
  }
}

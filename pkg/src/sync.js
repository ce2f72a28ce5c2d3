// Keeps a `Flags` instance in sync with a ruleset URL (the Worker's
// `GET /v1/ruleset`): a conditional GET with `If-None-Match` on every poll,
// so an unchanged ruleset costs a 304 and no parse; a changed one is loaded
// with `update()` (a bad one is reported and the last good one kept).

import { Flags, EdgeflagsError } from './flags.js';

const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;

function syncError(message, cause) {
  return new EdgeflagsError('SYNC_FAILED', message, undefined, cause);
}

/**
 * Loads a ruleset from `url` and keeps a Flags instance in sync with it.
 * Resolves once the first ruleset is loaded (or, with `options.ruleset`,
 * at once from that ruleset, polling in the background).
 */
export async function syncFlags(url, options = {}) {
  const sync = new FlagsSync(url, options);
  await sync._start();
  return sync;
}

class FlagsSync {
  constructor(url, options) {
    if (typeof url !== 'string' && !(url instanceof URL)) {
      throw new EdgeflagsError('INVALID_ARGUMENT', 'syncFlags(url) needs a URL string or URL');
    }
    const interval = options.interval === undefined ? DEFAULT_INTERVAL_MS : options.interval;
    if (typeof interval !== 'number' || !(interval >= 0)) {
      throw new EdgeflagsError('INVALID_ARGUMENT', 'options.interval must be a number of milliseconds >= 0 (0: no polling)');
    }
    this._url = String(url);
    this._interval = interval;
    this._timeout = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : options.timeout;
    this._fetch = options.fetch || globalThis.fetch;
    if (typeof this._fetch !== 'function') {
      throw new EdgeflagsError('INVALID_ARGUMENT', 'no fetch() in this runtime: pass options.fetch');
    }
    this._headers = options.headers || {};
    this._onChange = options.onChange;
    this._onError = options.onError;
    this._options = options;
    this._etag = null;
    this._text = null;
    this._timer = undefined;
    this._stopped = false;
    this._inflight = undefined;
    this.flags = options.flags || null;
    this.lastError = null;
  }

  /** The ETag of the ruleset in use (null before the first 200). */
  get etag() {
    return this._etag;
  }

  async _start() {
    if (this.flags === null && this._options.ruleset !== undefined) {
      this.flags = new Flags(this._options.ruleset, this._options.flagsOptions);
    }
    if (this.flags === null) {
      await this.refresh({ throwOnError: true });
    } else {
      // Start from what we have; the first poll runs at once, errors reported.
      await this.refresh();
    }
    this._schedule();
  }

  _schedule() {
    if (this._stopped || this._interval === 0) return;
    this._timer = setTimeout(() => {
      this.refresh().finally(() => this._schedule());
    }, this._interval);
    // Polling must not keep a Node process alive.
    if (this._timer && typeof this._timer.unref === 'function') this._timer.unref();
  }

  /**
   * Polls now. Resolves to true when a new ruleset was loaded, false when
   * it was unchanged (304 or same text) or the poll failed (see onError).
   */
  refresh(opts) {
    if (this._inflight === undefined) {
      this._inflight = this._poll(opts && opts.throwOnError).finally(() => {
        this._inflight = undefined;
      });
    }
    return this._inflight;
  }

  async _poll(throwOnError) {
    const ac = typeof AbortController === 'function' ? new AbortController() : undefined;
    this._abort = ac;
    const timer = ac && this._timeout > 0 ? setTimeout(() => ac.abort(), this._timeout) : undefined;
    try {
      const headers = Object.assign({ accept: 'application/json' }, this._headers);
      if (this._etag !== null) headers['if-none-match'] = this._etag;
      // Called unbound: browsers refuse a fetch called as a method of
      // another object ("Illegal invocation").
      const fetch = this._fetch;
      let res;
      try {
        res = await fetch(this._url, { headers, signal: ac && ac.signal });
      } catch (e) {
        throw syncError(`GET ${this._url} failed: ${e && e.message}`, e);
      }
      if (res.status === 304) {
        this.lastError = null;
        return false;
      }
      if (!res.ok) throw syncError(`GET ${this._url} answered ${res.status}`);
      const text = await res.text();
      if (this._stopped) return false;
      const etag = res.headers.get('etag');
      if (text === this._text) {
        this._etag = etag;
        this.lastError = null;
        return false;
      }
      const previousVersion = this.flags === null ? null : this.flags.version;
      if (this.flags === null) this.flags = new Flags(text, this._options.flagsOptions);
      else this.flags.update(text);
      this._etag = etag;
      this._text = text;
      this.lastError = null;
      if (typeof this._onChange === 'function') {
        try {
          this._onChange(this.flags, { version: this.flags.version, previousVersion, etag });
        } catch (e) {
          // A failing callback is the caller's error, not a failed sync.
          if (typeof this._onError === 'function') this._onError(e);
        }
      }
      return true;
    } catch (e) {
      if (this._stopped && !throwOnError) return false;
      this.lastError = e;
      if (throwOnError) throw e;
      if (typeof this._onError === 'function') this._onError(e);
      return false;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** Stops polling and aborts a poll in flight. The Flags instance stays usable. */
  stop() {
    this._stopped = true;
    if (this._timer !== undefined) clearTimeout(this._timer);
    if (this._abort) this._abort.abort();
  }
}

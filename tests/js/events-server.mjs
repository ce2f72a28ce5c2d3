// A stand-in for the Worker's POST /v1/events in the package's event tests
// (events.test.mjs in Node, events-browser.test.mjs in Chromium): a Node
// http server on 127.0.0.1 that records every request it receives and
// answers what the test asks for, in order: a status (202 by default, with
// the Worker's body), `{ status, body, headers, delay }`, or 'drop' (the
// connection is destroyed: a network error). Other paths are served by
// `route(path)` when given ({ type, body } or null: 404), e.g. the pages
// of a browser test.
import http from 'node:http';

export async function eventsServer(route = () => null) {
  const requests = [];
  const answers = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (path !== '/v1/events') {
        const r = route(path);
        if (r === null) return res.writeHead(404).end('not found');
        return res.writeHead(200, { 'content-type': r.type }).end(r.body);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        // Recorded as null: a test reading it fails.
      }
      const answer = answers.length > 0 ? answers.shift() : 202;
      const a = typeof answer === 'object' ? answer : { status: answer };
      requests.push({ method: req.method, headers: req.headers, body, text, answered: a.status, at: Date.now() });
      for (const w of waiters.splice(0)) w();
      if (answer === 'drop') return req.socket.destroy();
      const send = () => {
        if (res.destroyed) return;
        const events = body && Array.isArray(body.events) ? body.events.length : 0;
        const payload = a.body !== undefined ? a.body : a.status < 300 ? { accepted: events, ignored: 0 } : { error: { code: a.status === 400 ? 'INVALID_EVENTS' : 'EVENTS_UNAVAILABLE', message: 'test answer', problems: a.status === 400 ? [{ path: 'events[0].unit', message: 'test problem' }] : undefined } };
        res.writeHead(a.status, Object.assign({ 'content-type': 'application/json' }, a.headers)).end(JSON.stringify(payload));
      };
      if (a.delay) setTimeout(send, a.delay);
      else send();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    url: `${origin}/v1/events`,
    requests,
    /** Queues answers for the next requests. */
    answer(...list) {
      answers.push(...list);
    },
    /** Every event received, in order (duplicates included). */
    events() {
      return requests.filter((r) => r.body && Array.isArray(r.body.events)).flatMap((r) => r.body.events);
    },
    /** Resolves once `n` requests have arrived (or rejects after `ms`). */
    async waitFor(n, ms = 10_000) {
      const end = Date.now() + ms;
      while (requests.length < n) {
        if (Date.now() > end) throw new Error(`waited ${ms} ms for ${n} requests, got ${requests.length}`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    reset() {
      requests.length = 0;
      answers.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

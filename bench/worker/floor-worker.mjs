// The floor of the Worker load test: a Worker that answers every request
// with the same small JSON, reading nothing. No Worker can serve more
// requests per second on this harness, so the ratio of this row to the
// GrowthBook Worker's bounds any Worker's ratio to GrowthBook.
export default {
  fetch() {
    return new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
  },
};

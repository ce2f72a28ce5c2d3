// Test-only entry module: runs the built Worker and its control object
// (the Durable Object class Control) with their FLAGS binding wrapped so
// that KV can be made to fail, controlled through keys of the real KV:
// - while `test/kv-down` holds "1", every KV call throws, as an
//   unreachable KV would;
// - while `test/kv-fail-puts` holds a number n > 0, the next n puts throw
//   (each failure counts it down): a KV publish that fails.
// Loaded by stale.test.mjs and control.test.mjs in front of
// worker/build/index.js, whose default export is worker-build's
// WorkerEntrypoint class and whose Control export is the object's class:
// both are constructed here with the wrapped env, as workerd would with the
// real one. Everything else (workerd, its KV, the object's SQLite storage
// and alarms) is real.
import Worker, { Control as RealControl } from "./index.js";

function faulty(kv) {
  const down = async () => (await kv.get("test/kv-down")) === "1";
  const putFails = async () => {
    const n = Number((await kv.get("test/kv-fail-puts")) ?? 0);
    if (!(n > 0)) return false;
    await kv.put("test/kv-fail-puts", String(n - 1));
    return true;
  };
  const guarded = (name, call) => async (...args) => {
    if (await down()) throw new Error(`KV unreachable (simulated by tests/worker/kv-fault.mjs): ${name}`);
    if (name === "put" && (await putFails())) throw new Error("KV put failed (simulated by tests/worker/kv-fault.mjs)");
    return call(...args);
  };
  return {
    get: guarded("get", (...a) => kv.get(...a)),
    getWithMetadata: guarded("getWithMetadata", (...a) => kv.getWithMetadata(...a)),
    put: guarded("put", (...a) => kv.put(...a)),
    list: guarded("list", (...a) => kv.list(...a)),
    delete: guarded("delete", (...a) => kv.delete(...a)),
  };
}

const wrap = (env) => ({ ...env, FLAGS: faulty(env.FLAGS) });

export default {
  async fetch(request, env, ctx) {
    return new Worker(ctx, wrap(env)).fetch(request);
  },
};

export class Control {
  constructor(state, env) {
    this.inner = new RealControl(state, wrap(env));
  }
  fetch(request) {
    return this.inner.fetch(request);
  }
  alarm(info) {
    return this.inner.alarm(info);
  }
}

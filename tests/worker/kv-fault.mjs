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

// The events queue and database, failing on demand through the same KV:
// - while `test/queue-down` holds "1", sending to EVENTS throws;
// - while `test/d1-fail-batches` holds n > 0, the next n D1 batches throw
//   (the queue consumer's writes).
// workers-rs checks a binding's class by its constructor's name.
class WorkerQueue {
  constructor(queue, kv) {
    this.queue = queue;
    this.kv = kv;
  }
  async guard(name) {
    if ((await this.kv.get("test/queue-down")) === "1") {
      throw new Error(`queue unavailable (simulated by tests/worker/kv-fault.mjs): ${name}`);
    }
  }
  async send(...args) {
    await this.guard("send");
    return this.queue.send(...args);
  }
  async sendBatch(...args) {
    await this.guard("sendBatch");
    return this.queue.sendBatch(...args);
  }
}

function faultyQueue(queue, kv) {
  return new WorkerQueue(queue, kv);
}

function faultyD1(db, kv) {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "batch") {
        return async (...args) => {
          const n = Number((await kv.get("test/d1-fail-batches")) ?? 0);
          if (n > 0) {
            await kv.put("test/d1-fail-batches", String(n - 1));
            throw new Error("D1 batch failed (simulated by tests/worker/kv-fault.mjs)");
          }
          return target.batch(...args);
        };
      }
      const v = Reflect.get(target, prop);
      // Methods run on the real database; the constructor stays itself
      // (workers-rs checks a binding's class by its name).
      return typeof v === "function" && prop !== "constructor" ? v.bind(target) : v;
    },
  });
}

const wrap = (env) => ({
  ...env,
  FLAGS: faulty(env.FLAGS),
  ...(env.EVENTS ? { EVENTS: faultyQueue(env.EVENTS, env.FLAGS) } : {}),
  ...(env.DB ? { DB: faultyD1(env.DB, env.FLAGS) } : {}),
});

export default {
  async fetch(request, env, ctx) {
    return new Worker(ctx, wrap(env)).fetch(request);
  },
  async queue(batch, env, ctx) {
    return new Worker(ctx, wrap(env)).queue(batch);
  },
  async scheduled(controller, env, ctx) {
    return new Worker(ctx, wrap(env)).scheduled(controller);
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

// Test-only entry module: runs the built Worker with its FLAGS binding
// wrapped so that KV can be made to fail. While the key `test/kv-down`
// holds "1", every KV call the Worker makes throws, as an unreachable KV
// would. Loaded by stale.test.mjs in front of worker/build/index.js, whose
// default export is worker-build's WorkerEntrypoint class: it is
// constructed here with the wrapped env, as workerd would with the real one.
import Worker from "./index.js";

function failing() {
  const down = () => {
    throw new Error("KV unreachable (simulated by tests/worker/kv-fault.mjs)");
  };
  return { get: down, getWithMetadata: down, put: down, list: down, delete: down };
}

export default {
  async fetch(request, env, ctx) {
    const isDown = (await env.FLAGS.get("test/kv-down")) === "1";
    const wrapped = isDown ? { ...env, FLAGS: failing() } : env;
    return new Worker(ctx, wrapped).fetch(request);
  },
};

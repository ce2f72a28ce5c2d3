// The Worker's JS entry: worker-build's CUSTOM_SHIM template (it fills in
// the $SNIPPET_ lines and bundles this with wasm-bindgen's glue), used by
// scripts/build-worker.sh.
//
// worker-build's default entry exports a WorkerEntrypoint class wrapped in
// Proxies: workerd constructs it for every request, and every method call
// goes through a Proxy trap that makes another Proxy. Measured in workerd,
// that is about a fifth of a flag request's time. This entry is a plain
// module-worker object whose fetch calls the wasm export directly.
//
// It keeps the default entry's recovery from a crash: the `worker` crate's
// panic hook sets `criticalError` (panics abort, leaving the instance's
// state unknown), as does any WebAssembly.RuntimeError seen here; the next
// request then gets a fresh instance, through wasm-bindgen's own reset
// (scheduled by its reinit import, run before its next export call).
import * as imports from "./index_bg.js";
import wasmCode from "./index.wasm";
$SNIPPET_JS_IMPORTS

const importObject = {
  "./index_bg.js": imports,
  $SNIPPET_WASM_IMPORTS
};
// wasm-bindgen's reset function re-instantiates through these names.
globalThis.wasmModule = wasmCode;
globalThis.__wbg_get_imports = () => importObject;
globalThis.wasmInstance = new WebAssembly.Instance(wasmCode, importObject);
imports.__wbg_set_wasm(globalThis.wasmInstance.exports);
globalThis.wasmInstance.exports.__wbindgen_start();

const initState = imports.__worker_init_state();
const reinitName = Object.keys(imports).find((k) => k.startsWith("__wbg___wbindgen_reinit_"));

function critical(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    console.error("Critical", e);
    initState.criticalError = true;
  }
}

addEventListener("error", (e) => critical(e.error));

export default {
  fetch(request, env, ctx) {
    if (initState.criticalError && reinitName) {
      console.log("Reinitializing Wasm application");
      initState.criticalError = false;
      imports[reinitName]();
    }
    try {
      return imports.fetch(request, env, ctx);
    } catch (e) {
      critical(e);
      throw e;
    }
  },
};

// Loads the Go-wasm client (wasmclient/), which does all the page's work.
// Until it runs, the controls stay disabled; if it cannot run, the status says why.
"use strict";

(async () => {
  const status = document.getElementById("stateLabel");
  const fail = (msg) => {
    status.textContent = msg;
    status.className = "failed";
    status.dataset.state = "failed";
  };
  try {
    if (typeof WebAssembly !== "object") {
      throw new Error("this browser does not run WebAssembly");
    }
    if (typeof Go !== "function") {
      throw new Error("wasm_exec.js did not load");
    }
    const go = new Go();
    let exitCode = 0;
    go.exit = (code) => { exitCode = code; };
    const module = await window.wsechoClient; // started by index.html
    const instance = await WebAssembly.instantiate(module, go.importObject);
    await go.run(instance); // returns only when the client exits
    fail(`The client stopped (exit code ${exitCode}); see the browser console, then reload the page.`);
  } catch (err) {
    fail(`Could not load the client: ${err.message}`);
  }
})();

// Runs the built Worker on 127.0.0.1 under miniflare, for `cargo xtask worker smoke`.
//
//   node serve.cjs <settings.json>
//
// settings.json (written by xtask): { "miniflare": "<dir holding node_modules/miniflare>",
//   "entry": "<runtimes/worker/build/entry.mjs>", "port": 8787, "bindings": { … },
//   "r2Buckets": ["NAME"], "r2Persist": "<dir>", "compatibilityDate": "2025-09-01" }
//
// miniflare is the local runtime `wrangler dev` itself drives (workerd plus the R2
// simulation), taken from the same wrangler install. Driving it directly leaves out two parts
// of wrangler dev's local proxy that are not what a deployed Worker sees: outbound fetches pass
// a worker that decodes `Content-Encoding: gzip` bodies, and the Node proxy in front of the
// Worker breaks when it answers before reading a partly read request body (an aws-chunked
// upload with a forged chunk signature).
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const settings = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { Miniflare, Log, LogLevel } = require(
  path.join(settings.miniflare, "node_modules", "miniflare"),
);

async function main() {
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: settings.port,
    modules: true,
    scriptPath: settings.entry,
    modulesRoot: path.dirname(settings.entry),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: settings.compatibilityDate,
    bindings: settings.bindings,
    r2Buckets: settings.r2Buckets,
    r2Persist: settings.r2Persist,
    // What a deployed Worker sees: its own fetches go straight out.
    stripCfConnectingIp: false,
    // No download of the Request.cf data.
    cf: false,
    log: new Log(LogLevel.INFO),
  });
  const url = await mf.ready;
  console.log(`ready on ${url.href}`);
  const stop = async () => {
    await mf.dispose();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

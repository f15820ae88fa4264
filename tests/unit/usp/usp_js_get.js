// Third-party controller (usp-js 0.5.1, pinned in tests/interop) against the
// fake agent of test_usp_ctl.c over MQTT 5: prints the value of one Get.
// argv: port agent-eid controller-eid agent-topic controller-topic path
"use strict";
const connect = require("usp-js").default;

(async () => {
  const [port, toId, fromId, pub, sub, path] = process.argv.slice(2);
  const usp = await connect({
    host: "127.0.0.1", port: Number(port), protocol: "mqtt",
    protocolVersion: 5, toId, fromId,
    publishEndpoint: pub, subscribeEndpoint: sub,
  });
  try {
    const v = await usp.get(path);
    process.stdout.write(`value=${typeof v === "object" ? JSON.stringify(v) : v}\n`);
  } finally {
    await usp.disconnect();
  }
  process.exit(0);
})().catch((e) => {
  process.stderr.write(`usp-js: ${e && e.stack ? e.stack : JSON.stringify(e)}\n`);
  process.exit(1);
});

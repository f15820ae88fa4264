// A corrupt row in the store is detected when read, reported to the
// controller, and repaired: the device is marked for a full re-sync and its
// next session reads the whole tree again.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const lib = require("./lib");

const VALUE = "radio=2x2"; // Device.DeviceInfo.AdditionalHardwareVersion in the sim model
const PARAM = "Device.DeviceInfo.AdditionalHardwareVersion";

async function getParam(br, eid) {
  const r = await lib.run(lib.bins.ctl, [
    "--ws", `ws://127.0.0.1:${br.wsPort}${br.wsPrefix}${eid}`, "--agent", eid,
    "get", PARAM]);
  return r.stdout + r.stderr;
}

test("a corrupt cached value is reported and the device re-synced", async (t) => {
  const dir = lib.tmpdir("corrupt");
  let br = await lib.startBridge({}, { dir });
  const sim1 = lib.startSim(br.acsUrl, ["--count", "1", "--serial-prefix", "CRPT", "--once"]);
  await br.proc.wait(/sync complete/, 30000);
  await sim1.wait(/"sessions_ok":1/, 30000);
  const eid = "os::ACDE48-CRPT000001";
  assert.match(await getParam(br, eid), /value: "radio=2x2"/);
  await br.proc.kill("SIGTERM");

  // flip one byte of the value wherever it is stored (LMDB copies on write:
  // older pages may hold it too)
  const file = path.join(br.db, "data.mdb");
  const buf = fs.readFileSync(file);
  let n = 0;
  for (let i = buf.indexOf(VALUE); i >= 0; i = buf.indexOf(VALUE, i + 1)) {
    buf[i + 6] ^= 0x01; // "2x2" -> "3x2"
    n++;
  }
  assert.ok(n >= 1, "value found in data.mdb");
  fs.writeFileSync(file, buf);

  br = await lib.startBridge({}, { dir });
  t.after(() => br.proc.kill());
  const out = await getParam(br, eid);
  assert.match(out, /err_code: 7003/, out);
  assert.match(out, /corrupt/, out);
  await br.proc.wait(/corrupt cached data; full re-sync/, 10000);
  const list = await lib.run(lib.bins.db, ["--db", br.db, "list"]);
  assert.match(list.stdout, /os::ACDE48-CRPT000001\s+\S+\s+\S+\s+none/, list.stdout);

  // the device's next session re-reads the tree: the value is good again
  const mark = br.proc.mark();
  const sim2 = lib.startSim(br.acsUrl, ["--count", "1", "--serial-prefix", "CRPT", "--once",
                                        "--event", "periodic"]);
  await br.proc.wait(/sync complete/, 30000, mark);
  await sim2.wait(/"sessions_ok":1/, 30000);
  assert.match(await getParam(br, eid), /value: "radio=2x2"/);
  const list2 = await lib.run(lib.bins.db, ["--db", br.db, "list"]);
  assert.match(list2.stdout, /os::ACDE48-CRPT000001\s+\S+\s+\S+\s+synced/, list2.stdout);
});

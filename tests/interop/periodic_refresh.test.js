// [sync] periodic_paths: at a periodic Inform, a subtree whose cached
// values are older than periodic_interval is re-read from the device: local
// changes the device never notified, and instances added or removed
// locally, reach the cache without a full sync.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const lib = require("./lib");
const dm = require("./dm_util");

test("periodic subtree refresh picks up unnotified changes", async (t) => {
  const br = await lib.startBridge({
    sync: { periodic_paths: "Device.NAT.", periodic_interval: 1 },
  });
  t.after(() => br.proc.kill());
  const sim = await dm.startSimCtl(br.acsUrl, ["--count", "1", "--serial-prefix", "PER",
                                               "--periodic", "2"]);
  t.after(() => sim.kill());
  const eid = "os::ACDE48-PER000001";
  await br.proc.wait(/sync complete/, 30000);

  const before = await dm.dump(br.db, eid, "Device.NAT.PortMapping.");
  const descRow = before.find((r) => /PortMapping\.1\.Description$/.test(r.path));
  assert.ok(descRow, "PortMapping.1.Description cached");
  // local changes without notification: the device reports none of them
  await sim.ctl.ok("set PER000001 Device.NAT.PortMapping.1.Description refreshed-by-test");
  const inst = Number(await sim.ctl.ok("add PER000001 Device.NAT.PortMapping."));
  await sim.ctl.ok("del PER000001 Device.NAT.PortMapping.2.");

  const mark = br.proc.mark();
  await br.proc.wait(/periodic refresh of Device\.NAT\./, 15000, mark);
  await br.proc.wait(/PER000001: subtree refresh complete: \d+ parameters .* (\d+) objects created, (\d+) removed/, 15000, mark);
  const log = br.proc.out.slice(mark);
  assert.match(log, new RegExp(`object created on the device: Device\\.NAT\\.PortMapping\\.${inst}\\.`));
  assert.match(log, /object removed on the device: Device\.NAT\.PortMapping\.2\./);
  // no full sync happened
  assert.doesNotMatch(log, /full sync of/);

  const after = await dm.dump(br.db, eid, "Device.NAT.PortMapping.");
  const desc = after.find((r) => r.path === "Device.NAT.PortMapping.1.Description");
  assert.strictEqual(desc.value, "refreshed-by-test");
  assert.ok(after.some((r) => r.path === `Device.NAT.PortMapping.${inst}.`));
  assert.ok(!after.some((r) => r.path.startsWith("Device.NAT.PortMapping.2.")));
  // rows outside the subtree are untouched and the device stays synced
  const l = await dm.list(br.db);
  assert.match(JSON.stringify(l), /synced/);
});

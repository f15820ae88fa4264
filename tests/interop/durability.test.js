// End to end: kill -9 of uspbridged.
// (a) during a full sync ([sync] batch = 1: thousands of GPV RPCs): the
//     store says in-progress with a cursor, the registry is intact, and
//     after a restart the next session resumes after the cursor and
//     completes.  Meanwhile the device gained and lost an instance that
//     sorts before the cursor: the resumed sync reads the new one, drops
//     the lost one (and reports it), keeps the rest: the cache is the
//     device's tree, the device is synced.
// (b) with queued work: a USP Set waits in the durable queue for a device
//     that cannot be woken (sim stopped, Connection Request fails); after
//     kill -9 the entry is still in the store, and after restarting the
//     daemon and the device the never-sent request runs (docs: "jobs never
//     sent run again"): the device has the value.  A subscription added
//     with USP Add survives kill -9 as well.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const lib = require("./lib");
const dm = require("./dm_util");

const OUI = "00D09E";
const TR181 = path.join(dm.MODELS, "tr181-hgw.tsv");

test("kill -9 during a full sync: in-progress in the store, resumed after restart", async (t) => {
  const dir = lib.tmpdir("dur-sync");
  const port = await lib.freePort();
  const ini = { cwmp: { port }, sync: { batch: 1 }, usp: { ws_port: -1 } };
  let br = await lib.startBridge(ini, { dir });
  let sim = null;
  t.after(async () => {
    if (sim) await sim.kill();
    await br.proc.kill();
  });
  const serial = "DUR000001";
  const devkey = `${OUI}-${serial}`;
  const eid = `os::${devkey}`;
  const model = dm.loadModel(TR181);

  sim = await dm.startSimCtl(br.acsUrl, ["--serial-prefix", "DUR", "--oui", OUI, "--cr-port", "0"]);
  await br.proc.wait(new RegExp(`${devkey}: 2181 parameters to read`), 30000);
  const t0 = Date.now();
  // kill once the cursor has passed Device.Bridging.Bridge.1.Port.7 (the
  // subtree the device changes below while the bridge is down)
  for (;;) {
    const c = (await dm.show(br.db, eid)).sync_cursor || "";
    if (c > "Device.Bridging.Bridge.1.Port.7/") break;
    assert.ok(Date.now() - t0 < 30000, "the sync cursor does not advance");
    await lib.sleep(20);
  }
  const killed = await br.proc.kill("SIGKILL");
  assert.strictEqual(killed.sig, "SIGKILL");
  assert.doesNotMatch(br.proc.out, /sync complete/, "the slow sync finished before the kill");

  const reg = await dm.show(br.db, eid);
  assert.strictEqual(reg.sync_state, "in-progress", reg._text);
  assert.strictEqual(reg.sync_gen, "1");
  assert.notStrictEqual(reg.sync_cursor, "", "a resume cursor is stored");
  assert.ok(model.has(reg.sync_cursor), `cursor ${reg.sync_cursor} is a parameter of the device`);
  // registry intact
  assert.deepStrictEqual(
    [reg.endpoint_id, reg.cwmp_device_id, reg.oui, reg.product_class, reg.serial,
     reg.manufacturer, reg.software_version, reg.root],
    [eid, devkey, OUI, "SimGW", serial, "uspbridge-sim", "4.2.1-sim", "Device."]);
  assert.match(reg.conn_req_url, /^http:\/\/127\.0\.0\.1:\d+\/cr\/DUR000001$/);
  const stored = Number(reg.param_count);
  const nobj = [...model.values()].filter((n) => n.type === "object").length;
  assert.ok(stored > nobj && stored < model.size, `param_count ${stored} (partial)`);
  const l = await dm.list(br.db);
  assert.deepStrictEqual(l.map((d) => [d.eid, d.sync]), [[eid, "in-progress"]]);
  // the rows stored so far are exactly the parameters up to the cursor
  // (GPN order = strcmp order of the names) plus every object
  const partial = await dm.dump(br.db, eid);
  const upTo = [...model.entries()].filter(([p, n]) => n.type !== "object" && p <= reg.sync_cursor);
  const parts = partial.filter((r) => r.type !== "object");
  // the Inform's own parameters are stored before the sync: they may lie past the cursor
  const informParams = new Set(["Device.RootDataModelVersion", "Device.DeviceInfo.HardwareVersion",
    "Device.DeviceInfo.SoftwareVersion", "Device.DeviceInfo.ProvisioningCode",
    "Device.ManagementServer.ParameterKey", "Device.ManagementServer.ConnectionRequestURL"]);
  const beyond = parts.filter((r) => r.path > reg.sync_cursor && !informParams.has(r.path) &&
                                     !/ExternalIPAddress$|\.IPAddress$/.test(r.path));
  assert.deepStrictEqual(beyond.map((r) => r.path), [], "rows past the cursor");
  const missing = upTo.filter(([p]) => !parts.some((r) => r.path === p)).map(([p]) => p);
  assert.deepStrictEqual(missing, [], "parameters up to the cursor are all stored");
  t.diagnostic(`killed ${Date.now() - t0} ms into the sync: cursor ${reg.sync_cursor}, ` +
               `${upTo.length} of 2181 parameters stored`);

  // while the bridge is down the device changes below the cursor: an
  // instance added, one deleted (both sort before the cursor)
  assert.ok("Device.Bridging.Bridge.1.Port.7." < reg.sync_cursor);
  assert.strictEqual(await sim.ctl.ok(`add ${serial} Device.Bridging.Bridge.1.Port.`), "7");
  await sim.ctl.ok(`del ${serial} Device.Bridging.Bridge.1.Port.6.`);
  const want = new Map([...model].filter(([p]) => !p.startsWith("Device.Bridging.Bridge.1.Port.6.")));
  for (const [p, n] of dm.templateRows(TR181, "Device.Bridging.Bridge.1.Port.", 7)) want.set(p, n);
  const wantParams = [...want.values()].filter((n) => n.type !== "object").length;

  // restart on the same data dir and port; the sim informs again
  br = await lib.startBridge(ini, { dir });
  const from = 0;
  await sim.ctl.ok(`inform ${serial}`);
  const res = await br.proc.wait(new RegExp(`${devkey}: full sync of Device\\. \\(generation (\\d+)\\)(, resuming)?`),
                                 30000, from);
  assert.strictEqual(res[1], "2", "a new generation, the cursor carried over");
  assert.strictEqual(res[2], ", resuming");
  const toRead = await br.proc.wait(new RegExp(`${devkey}: (\\d+) parameters to read` +
    `( \\(resumed: (\\d+) kept from the interrupted sync\\))?`), 30000);
  assert.ok(toRead[2], toRead[0]);
  // kept: the parameters up to the cursor the device still has
  const expectKept = [...want].filter(([p, n]) => n.type !== "object" && model.has(p) &&
                                                  p <= reg.sync_cursor).length;
  assert.strictEqual(Number(toRead[3]), expectKept, "parameters kept from before the kill");
  const toReadN = Number(toRead[1]);
  // what was stored before the kill is not read again; what is new on the
  // device below the cursor (Port.7) is, although it sorts before it
  const expectRead = [...want].filter(([p, n]) => n.type !== "object" &&
    (p > reg.sync_cursor || !model.has(p))).length;
  assert.strictEqual(toReadN, expectRead, "parameters past the cursor + the new ones before it");
  const t1 = Date.now();
  const done = await br.proc.wait(new RegExp(`${devkey}: sync complete: (\\d+) parameters in (\\d+) ms`), 120000);
  t.diagnostic(`resumed sync (batch 1): ${done[1]} parameters in ${done[2]} ms (${Date.now() - t1} ms seen)`);

  // the cache is the device's tree now: Port.7 complete, Port.6 gone
  const rows = await dm.dump(br.db, eid);
  const paths = rows.map((r) => r.path);
  const missingNow = [...want.keys()].filter((p) => !paths.includes(p));
  const extra = paths.filter((p) => !want.has(p));
  assert.deepStrictEqual({ missing: missingNow, extra }, { missing: [], extra: [] });
  assert.deepStrictEqual(paths, [...want.keys()].sort(dm.dmCompare));
  for (const r of rows) assert.strictEqual(r.type, want.get(r.path).type, r.path);
  assert.match(br.proc.out, new RegExp(`${devkey}: object removed on the device: Device\\.Bridging\\.Bridge\\.1\\.Port\\.6\\.`));
  const after = await dm.show(br.db, eid);
  assert.deepStrictEqual([after.sync_state, after.sync_gen, after.sync_cursor, after.param_count],
                         ["synced", "2", "", String(want.size)]);
  await sim.kill();
  sim = null;
  await dm.stopClean(br.proc);
});

// usp-ctl over the USP WebSocket MTP
function uspCtl(br, eid, args, timeoutS = 10) {
  return dm.run(lib.bins.ctl, ["--ws", `ws://127.0.0.1:${br.wsPort}${br.wsPrefix}${eid}`,
                                "--agent", eid, "--timeout", String(timeoutS), ...args],
                 { timeoutMs: (timeoutS + 10) * 1000 });
}

test("kill -9 with queued work: the queue entry and subscriptions survive, the request runs", async (t) => {
  const dir = lib.tmpdir("dur-queue");
  const port = await lib.freePort();
  const ini = { cwmp: { port, cr_timeout: 2, cr_retries: 0 },
                usp: { request_timeout: 300 } };
  let br = await lib.startBridge(ini, { dir });
  let sim = null;
  let ctl = null;
  t.after(async () => {
    if (ctl) ctl.child.kill("SIGKILL");
    if (sim) await sim.kill();
    await br.proc.kill();
  });
  const serial = "DUQ000001";
  const devkey = `${OUI}-${serial}`;
  const eid = `os::${devkey}`;
  const stateDir = path.join(dir, "sim-state");
  fs.mkdirSync(stateDir);
  const simArgs = ["--serial-prefix", "DUQ", "--oui", OUI, "--cr-port", "0", "--state-dir", stateDir];

  sim = await dm.startSimCtl(br.acsUrl, simArgs);
  await br.proc.wait(new RegExp(`${devkey}: sync complete`), 30000);

  // a subscription through USP Add
  const add = await uspCtl(br, eid, ["add", "Device.LocalAgent.Subscription.", "Enable=true",
                                     "ID=dur-sub-1", "NotifType=ValueChange",
                                     "ReferenceList=Device.Time.NTPServer1"]);
  assert.strictEqual(add.code, 0, add.stdout + add.stderr);
  const inst = add.stdout.match(/instantiated_path:\s*"Device\.LocalAgent\.Subscription\.(\d+)\."/);
  assert.ok(inst, add.stdout);
  const subPath = `Device.LocalAgent.Subscription.${inst[1]}.`;

  // the device goes away: Connection Requests fail from now on
  await sim.kill();
  sim = null;
  const from = br.proc.mark();
  ctl = new lib.Proc("usp-ctl", lib.bins.ctl,
    ["--ws", `ws://127.0.0.1:${br.wsPort}${br.wsPrefix}${eid}`, "--agent", eid, "--timeout", "120",
     "set", "Device.Time.NTPServer3=queued.example.net"]);
  await br.proc.wait(new RegExp(`Connection Request to ${devkey} failed`), 20000, from);
  let reg = await dm.show(br.db, eid);
  const q = reg._text.match(/^ {2}queue {2}seq=(\d+) state=(\d+) deadline=(\d+) bytes=(\d+)$/m);
  assert.ok(q, `queue entry listed:\n${reg._text}`);
  assert.strictEqual(q[2], "0", "never sent");
  const deadline = Number(q[3]);
  // wall-clock milliseconds
  assert.ok(deadline >= Date.now() + 250000 && deadline <= Date.now() + 301000,
            `deadline ${deadline} is about request_timeout (300 s) from now (${Date.now()})`);

  await br.proc.kill("SIGKILL");
  ctl.child.kill("SIGKILL"); // the controller is gone too
  ctl = null;

  reg = await dm.show(br.db, eid);
  const q2 = reg._text.match(/^ {2}queue {2}seq=(\d+) state=(\d+) deadline=(\d+)/m);
  assert.ok(q2, `queue entry survives kill -9:\n${reg._text}`);
  assert.deepStrictEqual([q2[1], q2[2], q2[3]], [q[1], "0", q[3]]);
  assert.strictEqual(reg.sync_state, "synced");
  const agent = await dm.run(lib.bins.db, ["--db", br.db, "--agent", "dump", eid, subPath]);
  assert.strictEqual(agent.code, 0, agent.stderr);
  if (!agent.stdout) {
    const all = await dm.run(lib.bins.db, ["--db", br.db, "--agent", "dump", eid, "Device.LocalAgent.Subscription."]);
    assert.fail(`${subPath} not in the store after kill -9 (AddResp:\n${add.stdout})\n` +
                `stored subscriptions:\n${all.stdout}${all.stderr}\nbridge log:\n${br.proc.out.slice(-6000)}`);
  }
  assert.match(agent.stdout, new RegExp(`^${subPath.replace(/\./g, "\\.")}ID\\t\\S+\\t\\S+\\t\\S+\\tdur-sub-1\\t`, "m"));
  assert.match(agent.stdout, new RegExp(`^${subPath.replace(/\./g, "\\.")}ReferenceList\\t[^\\n]*\\tDevice\\.Time\\.NTPServer1\\t`, "m"));

  // restart the daemon, then the device: the request runs in its session
  br = await lib.startBridge(ini, { dir });
  await br.proc.wait(/request queue: 1 pending requests restored, 0 unreadable dropped/, 10000);
  sim = await dm.startSimCtl(br.acsUrl, simArgs);
  await br.proc.wait(new RegExp(`Inform from ${devkey} \\S+ \\S+ events \\[1 BOOT\\]`), 20000);
  const deadlineMs = Date.now() + 20000;
  let v;
  while (Date.now() < deadlineMs) {
    v = await sim.ctl.cmd(`get ${serial} Device.Time.NTPServer3`);
    if (v === "ok queued.example.net") break;
    await lib.sleep(200);
  }
  assert.strictEqual(v, "ok queued.example.net", "the device got the queued value");
  // the queue is empty, the cache has the value
  for (let i = 0; i < 50; i++) {
    reg = await dm.show(br.db, eid);
    if (!/^ {2}queue /m.test(reg._text)) break;
    await lib.sleep(100);
  }
  assert.doesNotMatch(reg._text, /^ {2}queue /m, reg._text);
  const cached = await dm.dump(br.db, eid, "Device.Time.NTPServer3");
  assert.deepStrictEqual(cached.map((r) => [r.path, r.value]),
                         [["Device.Time.NTPServer3", "queued.example.net"]]);
  // the subscription is still there for controllers
  const get = await uspCtl(br, eid, ["get", `${subPath}ID`, `${subPath}ReferenceList`]);
  assert.strictEqual(get.code, 0, get.stdout + get.stderr);
  assert.match(get.stdout, /dur-sub-1/);
  assert.match(get.stdout, /Device\.Time\.NTPServer1/);
  await sim.kill();
  sim = null;
  await dm.stopClean(br.proc);
});

test("the device goes away during a re-sync: the next session resumes it", async (t) => {
  const dir = lib.tmpdir("dur-cpe");
  const br = await lib.startBridge({ sync: { batch: 1 }, usp: { ws_port: -1 } }, { dir });
  let sim = null;
  t.after(async () => {
    if (sim) await sim.kill();
    await br.proc.kill();
  });
  const serial = "DUC000001";
  const devkey = `${OUI}-${serial}`;
  const eid = `os::${devkey}`;
  const model = dm.loadModel(TR181);
  const stateDir = path.join(dir, "sim-state");
  fs.mkdirSync(stateDir);
  const simArgs = ["--serial-prefix", "DUC", "--oui", OUI, "--cr-port", "0", "--state-dir", stateDir];

  // a first full sync (batch 1: some seconds)
  sim = await dm.startSimCtl(br.acsUrl, simArgs);
  await br.proc.wait(new RegExp(`${devkey}: sync complete: 2181 parameters`), 60000);

  // a re-sync (new SoftwareVersion); while it runs the device gains an
  // instance and then stops (SIGTERM: it saves its state, the session ends)
  let from = br.proc.mark();
  await sim.ctl.ok(`set ${serial} Device.DeviceInfo.SoftwareVersion 5.0.0-sim`);
  await sim.ctl.ok(`inform ${serial} 1 BOOT`);
  await br.proc.wait(new RegExp(`${devkey}: 2181 parameters to read`), 30000, from);
  const t0 = Date.now();
  for (;;) {
    const c = (await dm.show(br.db, eid)).sync_cursor || "";
    if (c > "Device.Bridging.Bridge.1.Port.7/") break;
    assert.ok(Date.now() - t0 < 30000, "the sync cursor does not advance");
    await lib.sleep(20);
  }
  assert.strictEqual(await sim.ctl.ok(`add ${serial} Device.Bridging.Bridge.1.Port.`), "7");
  await sim.kill("SIGTERM");
  sim = null;
  const end = await br.proc.wait(new RegExp(`${devkey}: (session ended during sync; resumes next time|` +
                                            "sync interrupted \\(([^)]*)\\); resumes at the next session)"),
                                 40000, from);
  t.diagnostic(`bridge noticed the end of the session after ${Date.now() - t0} ms: ${end[0]}`);
  const reg = await dm.show(br.db, eid);
  assert.deepStrictEqual([reg.sync_state, reg.sync_gen, reg.software_version],
                         ["in-progress", "2", "5.0.0-sim"]);
  assert.ok(reg.sync_cursor > "Device.Bridging.Bridge.1.Port.7/", reg.sync_cursor);

  // the device comes back (1 BOOT from its state): the re-sync resumes,
  // reads the new instance and reports it as created
  from = br.proc.mark();
  sim = await dm.startSimCtl(br.acsUrl, simArgs);
  const res = await br.proc.wait(new RegExp(`${devkey}: full sync of Device\\. \\(generation (\\d+)\\)(, resuming)?`),
                                 30000, from);
  assert.deepStrictEqual([res[1], res[2]], ["3", ", resuming"]);
  const toRead = await br.proc.wait(new RegExp(`${devkey}: (\\d+) parameters to read \\(resumed: (\\d+) kept`),
                                    30000, from);
  const want = new Map(model);
  const port7 = dm.templateRows(TR181, "Device.Bridging.Bridge.1.Port.", 7);
  for (const [p, n] of port7) want.set(p, n);
  const newParams = [...port7.values()].filter((n) => n.type !== "object").length;
  // the cursor was read after the bridge noticed the end of the session
  const upTo = [...model].filter(([p, n]) => n.type !== "object" && p <= reg.sync_cursor).length;
  assert.deepStrictEqual([Number(toRead[1]), Number(toRead[2])], [2181 - upTo + newParams, upTo]);
  const done = await br.proc.wait(new RegExp(`${devkey}: sync complete: (\\d+) parameters in \\d+ ms, ` +
                                             "(\\d+) objects created, (\\d+) removed"), 120000, from);
  const created = [...br.proc.out.slice(from).matchAll(/object created on the device: (\S+)/g)].map((x) => x[1]);
  assert.deepStrictEqual(created.sort(), [...port7].filter(([, n]) => n.type === "object").map(([p]) => p)
    .concat(["Device.Bridging.Bridge.1.Port.7."]).filter((p, i, a) => a.indexOf(p) === i).sort());
  assert.deepStrictEqual([done[2], done[3]], [String(created.length), "0"]);
  const after = await dm.show(br.db, eid);
  assert.deepStrictEqual([after.sync_state, after.sync_gen, after.param_count],
                         ["synced", "3", String(want.size)]);
  const rows = await dm.dump(br.db, eid);
  assert.deepStrictEqual(rows.map((r) => r.path), [...want.keys()].sort(dm.dmCompare));
  await sim.kill();
  sim = null;
  await dm.stopClean(br.proc);
});

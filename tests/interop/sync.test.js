// End to end: proxy-db sync.  cwmp-sim devices boot against uspbridged and
// the bridge copies each device's whole tree into LMDB: every node of the
// simulator's model file is in `uspbridge-db dump`, in data-model order,
// with the model's types and writability and the device's values.  Then
// VALUE CHANGE Informs update the cache, objects added and deleted on the
// device are found by a re-sync (BOOT with a new SoftwareVersion, and a
// restart with --state-dir --event bootstrap), and the sloppy devices
// (TR-098 root, 9004 on big GPVs, first Inform 2 PERIODIC) sync as well.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const lib = require("./lib");
const dm = require("./dm_util");

const OUI = "00D09E";
const TR181 = path.join(dm.MODELS, "tr181-hgw.tsv");
const TR098 = path.join(dm.MODELS, "tr098-igd.tsv");

// Values the simulator computes or expands per device instead of taking
// them from the model file.
function expectedValue(model, p, node, serial) {
  if (node.flags.includes("S")) return "";
  if (p.endsWith("NumberOfEntries")) {
    // <Table>NumberOfEntries counts the instances of <parent>.<Table>.
    const tbl = p.slice(0, -"NumberOfEntries".length) + ".";
    let n = 0;
    for (const q of model.keys()) {
      if (q.startsWith(tbl) && /^\d+\.$/.test(q.slice(tbl.length))) n++;
    }
    return model.has(tbl) ? String(n) : undefined;
  }
  if (/\.UpTime$|\.CurrentLocalTime$/.test(p)) return undefined; // clocks
  if (node.value.includes("${")) {
    if (node.value === "${SERIAL}") return serial;
    if (node.value === "${OUI}") return OUI;
    if (node.value === "SimNet-${SERIAL}") return `SimNet-${serial}`;
    return undefined; // other macros: checked where they matter
  }
  return node.value;
}

// Compares a device's cache with the model: same node set, data-model
// order, types, writability and values.  Returns the dump rows.
function checkTree(rows, model, serial, label, { types = true } = {}) {
  const paths = rows.map((r) => r.path);
  // data-model order, and no duplicates
  const sorted = [...paths].sort(dm.dmCompare);
  for (let i = 0; i < paths.length; i++) {
    if (paths[i] !== sorted[i]) {
      assert.fail(`${label}: dump not in data-model order at row ${i}: ` +
        `${paths[i]} where ${sorted[i]} belongs`);
    }
  }
  assert.strictEqual(new Set(paths).size, paths.length, `${label}: duplicate rows`);
  // same node set as the model
  const missing = [...model.keys()].filter((p) => !paths.includes(p));
  const extra = paths.filter((p) => !model.has(p));
  assert.deepStrictEqual({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) },
                         { missing: [], extra: [] }, `${label}: node set differs`);
  assert.strictEqual(rows.length, model.size);
  // types, access, values
  const bad = [];
  for (const r of rows) {
    const node = model.get(r.path);
    if (types && r.type !== node.type) bad.push(`${r.path} type ${r.type} != ${node.type}`);
    if (r.access !== node.access) bad.push(`${r.path} access ${r.access} != ${node.access}`);
    if (node.type === "object") {
      if (r.value !== "") bad.push(`${r.path} object with value ${r.value}`);
      continue;
    }
    const want = expectedValue(model, r.path, node, serial);
    if (want !== undefined && r.value !== want) bad.push(`${r.path} value ${JSON.stringify(r.value)} != ${JSON.stringify(want)}`);
  }
  assert.deepStrictEqual(bad.slice(0, 20), [], `${label}: ${bad.length} rows differ from the model`);
  return rows;
}

function countMatches(text, re) { return (text.match(re) || []).length; }

test("proxy-db sync of cwmp-sim devices", async (t) => {
  const br = await lib.startBridge();
  const sims = [];
  t.after(async () => {
    for (const s of sims) await s.kill();
    await br.proc.kill();
  });
  const log = () => br.proc.out;

  // A copy of the shipped TR-181 model where two parameters carry default
  // notifications (the shipped model has none): NTPServer2 passive,
  // SSID.1.SSID active.
  const modelFile = path.join(br.dir, "tr181-notif.tsv");
  const text = fs.readFileSync(TR181, "utf8")
    .replace(/^(Device\.Time\.NTPServer2\tstring\tW\t)-\t/m, "$1P\t")
    .replace(/^(Device\.WiFi\.SSID\.1\.SSID\tstring\tW\t)-\t/m, "$1A\t");
  assert.notStrictEqual(text, fs.readFileSync(TR181, "utf8"));
  assert.match(text, /^Device\.Time\.NTPServer2\tstring\tW\tP\t/m);
  assert.match(text, /^Device\.WiFi\.SSID\.1\.SSID\tstring\tW\tA\t/m);
  fs.writeFileSync(modelFile, text);
  const model = dm.loadModel(modelFile);

  const serial = "SYN000001";
  const eid = `os::${OUI}-${serial}`;
  const devkey = `${OUI}-${serial}`;
  const stateDir = path.join(br.dir, "sim-state");
  fs.mkdirSync(stateDir); // cwmp-sim does not create it
  const simArgs = ["--serial-prefix", "SYN", "--oui", OUI, "--cr-port", "0",
                   "--model", modelFile, "--state-dir", stateDir];
  let sim = await dm.startSimCtl(br.acsUrl, simArgs);
  sims.push(sim);
  const t0 = Date.now();
  const done = await br.proc.wait(
    new RegExp(`${devkey}: sync complete: (\\d+) parameters in (\\d+) ms`), 60000);
  const wall = Date.now() - t0;
  t.diagnostic(`TR-181 first sync: ${done[1]} parameters, bridge says ${done[2]} ms, ` +
               `${wall} ms from sim start`);

  await t.test("the TR-181 tree is in LMDB in data-model order, typed, with writability", async () => {
    assert.match(log(), new RegExp(`Inform from ${devkey} \\(uspbridge-sim SimGW\\) events \\[0 BOOTSTRAP,1 BOOT\\]`));
    assert.match(log(), new RegExp(`new device ${devkey} registered as USP agent ${eid}`));
    const nparams = [...model.values()].filter((n) => n.type !== "object").length;
    assert.strictEqual(nparams, 2181); // the shipped model
    assert.strictEqual(Number(done[1]), nparams);

    const rows = checkTree(await dm.dump(br.db, eid), model, serial, "TR-181");
    const at = (p) => rows.findIndex((r) => r.path === p);
    // more than 9 instances: numeric order, not text order
    assert.ok(at("Device.InterfaceStack.19.") > 0);
    assert.ok(at("Device.InterfaceStack.2.") < at("Device.InterfaceStack.10."));
    assert.ok(at("Device.InterfaceStack.9.") < at("Device.InterfaceStack.10."));
    assert.ok(at("Device.InterfaceStack.10.HigherLayer") < at("Device.InterfaceStack.11."));
    // parameters of an object before its sub-objects
    assert.ok(at("Device.RootDataModelVersion") < at("Device.Bridging."));
    // some exact rows
    const row = (p) => rows[at(p)];
    assert.deepStrictEqual(
      [row("Device.DeviceInfo.SerialNumber").type, row("Device.DeviceInfo.SerialNumber").access,
       row("Device.DeviceInfo.SerialNumber").value], ["string", "ro", serial]);
    assert.deepStrictEqual(
      [row("Device.InterfaceStackNumberOfEntries").type, row("Device.InterfaceStackNumberOfEntries").value],
      ["unsignedInt", "19"]);
    assert.deepStrictEqual(
      [row("Device.DeviceInfo.FirstUseDate").type, row("Device.DeviceInfo.FirstUseDate").value],
      ["dateTime", "2026-01-01T00:00:00Z"]);
    assert.deepStrictEqual(
      [row("Device.Time.Enable").type, row("Device.Time.Enable").access, row("Device.Time.Enable").value],
      ["boolean", "rw", "true"]);
    assert.deepStrictEqual([row("Device.NAT.PortMapping.").type, row("Device.NAT.PortMapping.").access],
                           ["object", "rw"]);
    assert.deepStrictEqual([row("Device.Hosts.Host.").access, row("Device.DeviceInfo.").access],
                           ["ro", "ro"]);
    assert.strictEqual(row("Device.Users.User.1.Password").value, "");
    assert.strictEqual(row("Device.Users.User.1.Password").access, "rw");

    const reg = await dm.show(br.db, eid);
    assert.strictEqual(reg.sync_state, "synced");
    assert.strictEqual(reg.sync_gen, "1");
    assert.strictEqual(reg.root, "Device.");
    assert.strictEqual(reg.software_version, "4.2.1-sim");
    assert.strictEqual(reg.param_count, String(model.size));
    const l = (await dm.list(br.db)).find((d) => d.eid === eid);
    assert.deepStrictEqual([l.sync, l.params], ["synced", model.size]);
  });

  await t.test("VALUE CHANGE Informs update the cache without a re-sync", async () => {
    const from = br.proc.mark();
    // passive: rides along in the next Inform; active: starts a session now
    await sim.ctl.ok(`set ${serial} Device.Time.NTPServer2 ntp2.changed.example`);
    await sim.ctl.ok(`set ${serial} Device.WiFi.SSID.1.SSID Changed-SSID-1`);
    await br.proc.wait(new RegExp(`Inform from ${devkey} \\S+ \\S+ events \\[4 VALUE CHANGE\\]`),
                       15000, from);
    // "Inform from" is logged just before the Inform is stored: poll
    let rows;
    for (let i = 0; i < 50; i++) {
      rows = await dm.dump(br.db, eid, "Device.");
      if (rows.find((r) => r.path === "Device.WiFi.SSID.1.SSID").value === "Changed-SSID-1") break;
      await lib.sleep(100);
    }
    const v = (p) => rows.find((r) => r.path === p);
    assert.deepStrictEqual([v("Device.WiFi.SSID.1.SSID").value, v("Device.WiFi.SSID.1.SSID").type],
                           ["Changed-SSID-1", "string"]);
    assert.strictEqual(v("Device.Time.NTPServer2").value, "ntp2.changed.example");
    assert.strictEqual(v("Device.Time.NTPServer1").value, "pool.ntp.org");
    assert.strictEqual(rows.length, model.size);
    assert.doesNotMatch(log().slice(from), /full sync/);
  });

  await t.test("BOOT without a new SoftwareVersion does not re-sync", async () => {
    const from = br.proc.mark();
    await sim.ctl.ok(`inform ${serial} 1 BOOT`);
    await br.proc.wait(new RegExp(`Inform from ${devkey} \\S+ \\S+ events \\[1 BOOT\\]`), 15000, from);
    await lib.sleep(500);
    assert.doesNotMatch(log().slice(from), /full sync/);
    assert.strictEqual((await dm.show(br.db, eid)).sync_gen, "1");
  });

  await t.test("objects added/deleted on the device: re-sync on BOOT with a new SoftwareVersion", async () => {
    const from = br.proc.mark();
    assert.strictEqual(await sim.ctl.ok(`add ${serial} Device.Hosts.Host.`), "8");
    await sim.ctl.ok(`del ${serial} Device.Hosts.Host.2.`);
    await sim.ctl.ok(`set ${serial} Device.DeviceInfo.SoftwareVersion 4.3.0-sim`);
    await sim.ctl.ok(`inform ${serial} 1 BOOT`);
    const m = await br.proc.wait(new RegExp(`${devkey}: sync complete: (\\d+) parameters in \\d+ ms, ` +
      `(\\d+) objects created, (\\d+) removed`), 60000, from);
    const seg = log().slice(from);
    assert.match(seg, new RegExp(`${devkey}: full sync of Device\\. \\(generation 2\\)`));
    const created = [...seg.matchAll(/object created on the device: (\S+)/g)].map((x) => x[1]);
    const removed = [...seg.matchAll(/object removed on the device: (\S+)/g)].map((x) => x[1]);
    assert.deepStrictEqual(created.sort(), ["Device.Hosts.Host.8.", "Device.Hosts.Host.8.IPv4Address.",
                                            "Device.Hosts.Host.8.IPv6Address."]);
    assert.deepStrictEqual(removed.sort(), ["Device.Hosts.Host.2.", "Device.Hosts.Host.2.IPv4Address.",
                                            "Device.Hosts.Host.2.IPv4Address.1.",
                                            "Device.Hosts.Host.2.IPv6Address."]);
    assert.deepStrictEqual([m[2], m[3]], ["3", "4"]);
    // removal lines name the device
    assert.match(seg, new RegExp(`${devkey}: object removed on the device: Device\\.Hosts\\.Host\\.2\\.`));

    // expected tree: model - Host.2 subtree + Host.8 from the template
    const want = new Map([...model].filter(([p]) => !p.startsWith("Device.Hosts.Host.2.")));
    for (const [p, n] of dm.templateRows(modelFile, "Device.Hosts.Host.", 8)) {
      want.set(p, { ...n, flags: "-" });
    }
    want.get("Device.DeviceInfo.SoftwareVersion").value = "4.3.0-sim";
    want.get("Device.WiFi.SSID.1.SSID").value = "Changed-SSID-1";
    want.get("Device.Time.NTPServer2").value = "ntp2.changed.example";
    // new instance values that the sim fills per instance, not from the template
    const rows = await dm.dump(br.db, eid);
    for (const r of rows) {
      if (r.path.startsWith("Device.Hosts.Host.8.") && want.has(r.path) &&
          /PhysAddress$|Alias$/.test(r.path)) want.get(r.path).value = r.value;
    }
    checkTree(rows, want, serial, "TR-181 after re-sync");
    assert.strictEqual(Number(m[1]), [...want.values()].filter((n) => n.type !== "object").length);
    const hosts = rows.filter((r) => /^Device\.Hosts\.Host\.\d+\.$/.test(r.path)).map((r) => r.path);
    assert.deepStrictEqual(hosts, [1, 3, 4, 5, 6, 7, 8].map((i) => `Device.Hosts.Host.${i}.`));
    assert.strictEqual(rows.find((r) => r.path === "Device.Hosts.HostNumberOfEntries").value, "7");
    const reg = await dm.show(br.db, eid);
    assert.deepStrictEqual([reg.sync_state, reg.sync_gen, reg.software_version],
                           ["synced", "2", "4.3.0-sim"]);
  });

  await t.test("re-sync after a restart with --state-dir and --event bootstrap", async () => {
    // a local delete, saved in the state file by a session (no re-sync)
    let from = br.proc.mark();
    await sim.ctl.ok(`del ${serial} Device.Hosts.Host.5.`);
    const simFrom = sim.mark();
    await sim.ctl.ok(`inform ${serial}`);
    await br.proc.wait(new RegExp(`Inform from ${devkey} \\S+ \\S+ events \\[6 CONNECTION REQUEST\\]`),
                       15000, from);
    await sim.wait(/"ev":"session_end"[^\n]*"ok":true/, 10000, simFrom);
    assert.doesNotMatch(log().slice(from), /full sync/);
    assert.ok((await dm.dump(br.db, eid, "Device.Hosts.Host.5.")).length > 0, "Host.5 still cached");
    await sim.kill();
    assert.ok(fs.existsSync(path.join(stateDir, `${serial}.state`)), "sim state file");

    from = br.proc.mark();
    sim = await dm.startSimCtl(br.acsUrl, [...simArgs, "--event", "bootstrap"]);
    sims.push(sim);
    const m = await br.proc.wait(new RegExp(`${devkey}: sync complete: (\\d+) parameters in \\d+ ms, ` +
      `(\\d+) objects created, (\\d+) removed`), 60000, from);
    const seg = log().slice(from);
    assert.match(seg, new RegExp(`Inform from ${devkey} \\S+ \\S+ events \\[0 BOOTSTRAP[,\\]]`));
    assert.match(seg, new RegExp(`${devkey}: full sync of Device\\. \\(generation 3\\)`));
    const removed = [...seg.matchAll(/object removed on the device: (\S+)/g)].map((x) => x[1]);
    assert.deepStrictEqual(removed.sort(), ["Device.Hosts.Host.5.", "Device.Hosts.Host.5.IPv4Address.",
                                            "Device.Hosts.Host.5.IPv4Address.1.",
                                            "Device.Hosts.Host.5.IPv6Address."]);
    assert.doesNotMatch(seg, /object created on the device/);
    assert.deepStrictEqual([m[2], m[3]], ["0", "4"]);
    const rows = await dm.dump(br.db, eid, "Device.Hosts.");
    const hosts = rows.filter((r) => /^Device\.Hosts\.Host\.\d+\.$/.test(r.path)).map((r) => r.path);
    assert.deepStrictEqual(hosts, [1, 3, 4, 6, 7, 8].map((i) => `Device.Hosts.Host.${i}.`));
    // the state (and so the changed values) survived the restart
    const ssid = await dm.dump(br.db, eid, "Device.WiFi.SSID.1.SSID");
    assert.deepStrictEqual(ssid.map((r) => r.value), ["Changed-SSID-1"]);
  });

  await t.test("TR-098 (InternetGatewayDevice.) device syncs", async () => {
    const from = br.proc.mark();
    const s = lib.startSim(br.acsUrl, ["--serial-prefix", "IGD", "--oui", OUI, "--cr-port", "0",
                                       "--quirk", "tr098"]);
    sims.push(s);
    const dk = `${OUI}-IGD000001`;
    const m = await br.proc.wait(new RegExp(`${dk}: sync complete: (\\d+) parameters`), 60000, from);
    assert.match(log().slice(from), new RegExp(`${dk}: full sync of InternetGatewayDevice\\. \\(generation 1\\)`));
    const igd = dm.loadModel(TR098);
    assert.strictEqual(Number(m[1]), [...igd.values()].filter((n) => n.type !== "object").length);
    const rows = checkTree(await dm.dump(br.db, `os::${dk}`), igd, "IGD000001", "TR-098");
    assert.strictEqual(rows[0].path, "InternetGatewayDevice.");
    assert.ok(rows.every((r) => r.path.startsWith("InternetGatewayDevice.")));
    const reg = await dm.show(br.db, `os::${dk}`);
    assert.deepStrictEqual([reg.root, reg.sync_state], ["InternetGatewayDevice.", "synced"]);
  });

  await t.test("gpv-9004 device syncs completely (batch halving)", async () => {
    const from = br.proc.mark();
    const s = lib.startSim(br.acsUrl, ["--serial-prefix", "GPV", "--oui", OUI, "--cr-port", "0",
                                       "--quirk", "gpv-9004"]);
    sims.push(s);
    const dk = `${OUI}-GPV000001`;
    const m = await br.proc.wait(new RegExp(`${dk}: sync complete: (\\d+) parameters`), 60000, from);
    assert.strictEqual(Number(m[1]), 2181);
    const seg = log().slice(from);
    assert.match(seg, new RegExp(`${dk}: GPV fault 9004 on 200 names: batch now 100`));
    checkTree(await dm.dump(br.db, `os::${dk}`), dm.loadModel(TR181), "GPV000001", "gpv-9004");
    // the bridge keeps the smaller batch once the device refused a bigger
    // one: one 9004 for the whole sync, not one per batch
    const faults = s.events().filter((e) => e.ev === "rpc_fault" && e.fault === 9004).length;
    const gpvs = s.events().filter((e) => e.ev === "rpc" && e.method === "GetParameterValues").length;
    t.diagnostic(`gpv-9004: ${gpvs} GetParameterValues, ${faults} answered 9004`);
    assert.strictEqual(faults, 1);
    assert.strictEqual(countMatches(seg, new RegExp(`${dk}: GPV fault 9004`, "g")), 1);
    assert.strictEqual(gpvs, 1 + Math.ceil(2181 / 100));
  });

  await t.test("periodic-first device (first Inform 2 PERIODIC) is registered and synced", async () => {
    const from = br.proc.mark();
    const s = lib.startSim(br.acsUrl, ["--serial-prefix", "PER", "--oui", OUI, "--cr-port", "0",
                                       "--quirk", "periodic-first"]);
    sims.push(s);
    const dk = `${OUI}-PER000001`;
    const m = await br.proc.wait(new RegExp(`${dk}: sync complete: (\\d+) parameters`), 60000, from);
    const seg = log().slice(from);
    assert.match(seg, new RegExp(`Inform from ${dk} \\S+ \\S+ events \\[2 PERIODIC\\]`));
    assert.match(seg, new RegExp(`new device ${dk} registered as USP agent os::${dk}`));
    assert.strictEqual(Number(m[1]), 2181);
    checkTree(await dm.dump(br.db, `os::${dk}`), dm.loadModel(TR181), "PER000001", "periodic-first");
    const l = (await dm.list(br.db)).find((d) => d.eid === `os::${dk}`);
    assert.deepStrictEqual([l.sync, l.params], ["synced", 2512]);
  });

  await t.test("the other sloppy devices sync completely", async () => {
    const quirks = ["no-xsi-type", "bad-arraytype-count", "mixed-ns-prefixes", "naive-parser",
                    "echo-cookie-attrs"];
    const from = br.proc.mark();
    const started = quirks.map((q, i) => {
      const s = lib.startSim(br.acsUrl, ["--serial-prefix", `QK${i}`, "--oui", OUI, "--cr-port", "0",
                                         "--quirk", q]);
      sims.push(s);
      return s;
    });
    const model181 = dm.loadModel(TR181);
    for (let i = 0; i < quirks.length; i++) {
      const dk = `${OUI}-QK${i}000001`;
      const m = await br.proc.wait(new RegExp(`${dk}: sync complete: (\\d+) parameters`), 60000, from);
      assert.strictEqual(Number(m[1]), 2181, quirks[i]);
      // without xsi:type the values carry no type (the bridge loads no data
      // model to supply one): only the node set, writability and values
      checkTree(await dm.dump(br.db, `os::${dk}`), model181, `QK${i}000001`, quirks[i],
                { types: quirks[i] !== "no-xsi-type" });
      assert.strictEqual(started[i].events().filter((e) => e.ev === "session_end" && !e.ok).length, 0,
                         quirks[i]);
    }
  });

  await t.test("the daemon stops cleanly (exit 0, no sanitizer report)", async () => {
    for (const s of sims) await s.kill();
    await dm.stopClean(br.proc);
  });
});

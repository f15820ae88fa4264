// The bridge, end to end through real components: usp-ctl / usp-js ->
// mosquitto (MQTT 5) -> uspbridged -> HTTP/SOAP -> cwmp-sim.  Every request
// type on the device tree, every Get policy (cache, live, max-age:N,
// per-subtree) with cache and live compared, allow_partial true/false for
// Set, rollback of an Add, the error codes, permissions (a role added over
// USP, the untrusted role), a device woken by a Digest-authenticated
// Connection Request, a device that never comes (deadline, nothing applied
// later) and 100 devices driven in parallel.
//
// Values come from tools/cwmp-sim/models/tr181-hgw.tsv; the sim's control
// channel changes them "locally" (as a user would, no notification) so that
// cache and device differ until a live Get reads the device.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const net = require("node:net");
const path = require("node:path");
const lib = require("./lib");

const OUI = "00D09E";
// max-age:2 compares whole seconds: a value is stale once it is more than
// 2 s old by the store's second clock, so wait a little over 3 s
const MAX_AGE_WAIT = 3100;

// ---- helpers ----

// The sim's control channel: one line per command, one line back.
async function control(sim) {
  const port = Number((await sim.wait(/"control_listen","port":(\d+)/))[1]);
  const s = net.connect(port, "127.0.0.1");
  await new Promise((res, rej) => { s.once("connect", res); s.once("error", rej); });
  let buf = "";
  const q = [];
  s.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      q.shift()(l);
    }
  });
  const cmd = (c) => new Promise((r) => { q.push(r); s.write(c + "\n"); });
  return {
    cmd,
    async get(serial, p) {
      const r = await cmd(`get ${serial} ${p}`);
      return r.startsWith("ok") ? r.slice(3) : null; // null: no such node
    },
    async set(serial, p, v) { assert.strictEqual(await cmd(`set ${serial} ${p} ${v}`), "ok"); },
    end: () => s.end(),
  };
}

// usp-ctl over MQTT 5; returns the parsed answer.
function ctlRunner(mqPort, eid, id = "self::usp-ctl") {
  return async (args, { expectCode = 0, as = id, timeout = 20 } = {}) => {
    const r = await lib.run(lib.bins.ctl, ["--mqtt", `127.0.0.1:${mqPort}`, "--agent", eid,
      "--id", as, "--timeout", String(timeout), ...args], { timeoutMs: (timeout + 10) * 1000 });
    assert.strictEqual(r.code, expectCode,
      `usp-ctl ${args.join(" ")}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const msg = lib.parsePbText(r.stdout);
    return { msg, body: msg.body[0], type: msg.header[0].msg_type[0] };
  };
}

// Simplifies parsed usp-ctl messages for comparisons.
const v0 = (x) => (x === undefined ? undefined : x[0]);
function getResults(r) {
  assert.strictEqual(r.type, "GET_RESP", JSON.stringify(r.msg));
  return r.body.response[0].get_resp[0].req_path_results.map((p) => ({
    path: v0(p.requested_path),
    err: v0(p.err_code),
    res: (p.resolved_path_results || []).map((x) => [v0(x.resolved_path),
      Object.fromEntries((x.result_params || []).map((kv) => [v0(kv.key), v0(kv.value) || ""]))]),
  }));
}
function errorOf(r) {
  assert.strictEqual(r.type, "ERROR", JSON.stringify(r.msg));
  const e = r.body.error[0];
  return { code: v0(e.err_code), msg: v0(e.err_msg),
           params: (e.param_errs || []).map((p) => [v0(p.param_path), v0(p.err_code)]) };
}
const rpcs = (sim, method) => sim.events().filter((e) => e.ev === "rpc" && e.method === method).length;

function within(p, ms = 30000, what = "usp-js call") {
  let t;
  return Promise.race([p, new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(t));
}

async function dbValue(br, eid, p) {
  const r = await lib.run(lib.bins.db, ["--db", br.db, "dump", eid, p]);
  assert.strictEqual(r.code, 0, r.stderr);
  const line = r.stdout.split("\n").find((l) => l.startsWith(p + "\t"));
  return line ? line.split("\t")[4] : null;
}

// ---- one device: request types, policies, partial, rollback, errors ----

test("requests on a bridged CWMP device", async (t) => {
  const mq = await lib.startMosquitto();
  t.after(() => mq.proc.kill());
  const br = await lib.startBridge({
    cwmp: { cr_username: "crUser", cr_password: "crPass-7" },
    usp: { mqtt_broker: "127.0.0.1", mqtt_port: mq.port, request_timeout: 15,
           controllers: "self::usp-ctl,self::usp-js=usp/controllers/usp-js,self::limited",
           untrusted_role: "untrusted", get_policy: "cache",
           get_policy_paths: "Device.NAT.=live,Device.Users.=max-age:2" },
  });
  t.after(() => br.proc.kill());
  const SN = "BR000001";
  const eid = `os::${OUI}-${SN}`;
  const sim = lib.startSim(br.acsUrl, ["--count", "1", "--serial-prefix", "BR", "--oui", OUI,
    "--cr-port", "0", "--cr-auth", "digest", "--cr-username", "crUser",
    "--cr-password", "crPass-7", "--control", "0"]);
  t.after(() => sim.kill());
  await br.proc.wait(/sync complete/, 60000);
  const c = await control(sim);
  t.after(() => c.end());
  const ctl = ctlRunner(mq.port, eid);

  await t.test("a Connection Request with Digest wakes the device for a Set", async () => {
    const crBefore = sim.events().filter((e) => e.ev === "cr_received").length;
    const r = await ctl(["set", "Device.UserInterface.ISPName=isp-cr"]);
    assert.strictEqual(r.type, "SET_RESP");
    const u = r.body.response[0].set_resp[0].updated_obj_results[0].oper_status[0]
      .oper_success[0].updated_inst_results[0];
    assert.strictEqual(v0(u.affected_path), "Device.UserInterface.");
    assert.deepStrictEqual(u.updated_params.map((k) => [v0(k.key), v0(k.value)]),
      [["ISPName", "isp-cr"]]);
    assert.strictEqual(await c.get(SN, "Device.UserInterface.ISPName"), "isp-cr");
    assert.strictEqual(sim.events().filter((e) => e.ev === "cr_received").length, crBefore + 1);
    assert.strictEqual(sim.events().filter((e) => e.ev === "auth_failed").length, 0);
    // the ParameterKey tells which request changed the device last
    const pk = await c.get(SN, "Device.ManagementServer.ParameterKey");
    assert.ok(pk && pk.length > 0, `ParameterKey '${pk}'`);
    // the cache follows the accepted value
    assert.strictEqual(await dbValue(br, eid, "Device.UserInterface.ISPName"), "isp-cr");
  });

  await t.test("every request type on the device tree", async () => {
    // Get (cache policy for Device.DeviceInfo.)
    const g = getResults(await ctl(["get", "Device.DeviceInfo.SerialNumber",
                                    "Device.DeviceInfo.ManufacturerOUI"]));
    assert.deepStrictEqual(g, [
      { path: "Device.DeviceInfo.SerialNumber", err: undefined,
        res: [["Device.DeviceInfo.", { SerialNumber: SN }]] },
      { path: "Device.DeviceInfo.ManufacturerOUI", err: undefined,
        res: [["Device.DeviceInfo.", { ManufacturerOUI: OUI }]] }]);
    // Add with parameters
    const a = await ctl(["add", "Device.NAT.PortMapping.", "Description=added", "ExternalPort=2222",
                         "InternalPort=22", "Protocol=TCP", "InternalClient=192.168.1.50"]);
    const ok = a.body.response[0].add_resp[0].created_obj_results[0].oper_status[0].oper_success[0];
    const inst = v0(ok.instantiated_path);
    assert.strictEqual(inst, "Device.NAT.PortMapping.3.");
    assert.deepStrictEqual(ok.unique_keys.map((k) => [v0(k.key), v0(k.value) || ""]), [["Alias", "cpe-pm"]]);
    assert.strictEqual(await c.get(SN, `${inst}Description`), "added");
    assert.strictEqual(await c.get(SN, `${inst}ExternalPort`), "2222");
    // Get of the new instance (Device.NAT. is live) and GetInstances (cache)
    const gi = getResults(await ctl(["get", `${inst}Description`, `${inst}ExternalPort`]));
    assert.deepStrictEqual(gi.map((x) => x.res), [[[inst, { Description: "added" }]],
                                                  [[inst, { ExternalPort: "2222" }]]]);
    const ins = await ctl(["--first-level", "instances", "Device.NAT.PortMapping."]);
    assert.deepStrictEqual(ins.body.response[0].get_instances_resp[0].req_path_results[0]
      .curr_insts.map((x) => v0(x.instantiated_obj_path)),
      ["Device.NAT.PortMapping.1.", "Device.NAT.PortMapping.2.", inst]);
    // Set
    const s = await ctl(["set", `${inst}Description=changed`, `${inst}Enable=true`]);
    assert.strictEqual(s.type, "SET_RESP");
    assert.strictEqual(await c.get(SN, `${inst}Description`), "changed");
    assert.strictEqual(await c.get(SN, `${inst}Enable`), "true");
    // GetSupportedDM of the device tree
    const sdm = await ctl(["supported-dm", "Device.NAT.PortMapping.{i}."]);
    const so = sdm.body.response[0].get_supported_dm_resp[0].req_obj_results[0].supported_objs;
    assert.deepStrictEqual(so.map((o) => [v0(o.supported_obj_path), v0(o.access)]),
      [["Device.NAT.PortMapping.{i}.", "OBJ_ADD_DELETE"]]);
    // Delete
    const d = await ctl(["delete", inst]);
    assert.deepStrictEqual(d.body.response[0].delete_resp[0].deleted_obj_results[0]
      .oper_status[0].oper_success[0].affected_paths, [inst]);
    assert.strictEqual(await c.get(SN, `${inst}Description`), null);
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMappingNumberOfEntries"), "2");
    const gone = getResults(await ctl(["get", inst], { expectCode: 4 }));
    assert.strictEqual(gone[0].err, 7026);
    assert.strictEqual(rpcs(sim, "AddObject"), 1);
    assert.strictEqual(rpcs(sim, "DeleteObject"), 1);
  });

  await t.test("Get policies: cache, live, max-age, per subtree", async () => {
    // cache (default): a local change on the device is not seen
    await c.set(SN, "Device.Time.NTPServer2", "ntp-local.example");
    let gpv = rpcs(sim, "GetParameterValues");
    let r = getResults(await ctl(["get", "Device.Time.NTPServer2"]));
    assert.deepStrictEqual(r[0].res, [["Device.Time.", { NTPServer2: "time.example.net" }]]);
    assert.strictEqual(rpcs(sim, "GetParameterValues"), gpv, "cache Get reached the device");

    // live (Device.NAT.=live): the device is read, and the cache refreshed
    await c.set(SN, "Device.NAT.PortMapping.1.Description", "local-desc");
    assert.strictEqual(await dbValue(br, eid, "Device.NAT.PortMapping.1.Description"), "NAS web");
    r = getResults(await ctl(["get", "Device.NAT.PortMapping.1.Description"]));
    assert.deepStrictEqual(r[0].res, [["Device.NAT.PortMapping.1.", { Description: "local-desc" }]]);
    assert.strictEqual(rpcs(sim, "GetParameterValues"), gpv + 1);
    assert.strictEqual(await dbValue(br, eid, "Device.NAT.PortMapping.1.Description"), "local-desc");
    // a search expression under a live subtree is resolved on fresh values
    await c.set(SN, "Device.NAT.PortMapping.2.Description", "searched");
    r = getResults(await ctl(["get", 'Device.NAT.PortMapping.[Alias=="cpe-game"].Description']));
    assert.deepStrictEqual(r[0].res, [["Device.NAT.PortMapping.2.", { Description: "searched" }]]);
    // ... while the cached subtree still differs from the device
    r = getResults(await ctl(["get", "Device.Time.NTPServer2"]));
    assert.deepStrictEqual(r[0].res, [["Device.Time.", { NTPServer2: "time.example.net" }]]);
    assert.strictEqual(await c.get(SN, "Device.Time.NTPServer2"), "ntp-local.example");

    // max-age:2 (Device.Users.): live when the cache is older than 2 s
    await c.set(SN, "Device.Users.User.1.Language", "de");
    await lib.sleep(MAX_AGE_WAIT);
    gpv = rpcs(sim, "GetParameterValues");
    r = getResults(await ctl(["get", "Device.Users.User.1.Language"]));
    assert.deepStrictEqual(r[0].res, [["Device.Users.User.1.", { Language: "de" }]]);
    assert.strictEqual(rpcs(sim, "GetParameterValues"), gpv + 1, "stale cache not refreshed");
    await c.set(SN, "Device.Users.User.1.Language", "fr");
    r = getResults(await ctl(["get", "Device.Users.User.1.Language"]));
    assert.deepStrictEqual(r[0].res, [["Device.Users.User.1.", { Language: "de" }]]);
    assert.strictEqual(rpcs(sim, "GetParameterValues"), gpv + 1, "fresh cache: no device read");
    await lib.sleep(MAX_AGE_WAIT);
    r = getResults(await ctl(["get", "Device.Users.User.1.Language"]));
    assert.deepStrictEqual(r[0].res, [["Device.Users.User.1.", { Language: "fr" }]]);
    assert.strictEqual(rpcs(sim, "GetParameterValues"), gpv + 2);
  });

  await t.test("the same Get from cache and live gives identical answers", async () => {
    await lib.sleep(MAX_AGE_WAIT); // Device.Users. cache now older than its max-age
    const q = ["get", "Device.Users.", "Device.Users.User.*.Username",
               'Device.Users.User.[Enable==true].Alias', "Device.Users.UserNumberOfEntries"];
    let gpv = rpcs(sim, "GetParameterValues");
    const live = await ctl(q);
    assert.strictEqual(rpcs(sim, "GetParameterValues"), gpv + 1, "first Get was not live");
    const cached = await ctl(q);
    assert.strictEqual(rpcs(sim, "GetParameterValues"), gpv + 1, "second Get was not from cache");
    assert.deepStrictEqual(cached.body, live.body);
    const res = getResults(live);
    assert.ok(res[0].res.length >= 3, JSON.stringify(res[0]));
    assert.deepStrictEqual(res[1].res.map((x) => x[1].Username), ["admin", "support"]);
    assert.deepStrictEqual(res[2].res, [["Device.Users.User.1.", { Alias: "cpe-admin" }]]);
    // a live subtree (Device.NAT.=live) compared with the same rows
    // straight from the cache of a max-age read is checked through the
    // store: the GetResp values equal the cached rows
    gpv = rpcs(sim, "GetParameterValues");
    const nat = getResults(await ctl(["get", "Device.NAT.PortMapping.1."]));
    assert.strictEqual(rpcs(sim, "GetParameterValues"), gpv + 1);
    const row = nat[0].res[0];
    assert.strictEqual(row[0], "Device.NAT.PortMapping.1.");
    for (const [k, v] of Object.entries(row[1])) {
      assert.strictEqual(await dbValue(br, eid, `Device.NAT.PortMapping.1.${k}`), v, k);
    }
  });

  await t.test("Set allow_partial=false: a refused parameter changes nothing", async () => {
    const spv = rpcs(sim, "SetParameterValues");
    // refused by the bridge (type, writability): nothing goes to the device
    const e = errorOf(await ctl(["set", "Device.NAT.PortMapping.1.Description=never",
      "Device.NAT.PortMapping.2.ExternalPort=abc", "Device.NAT.PortMapping.2.Status=x",
      "Device.NAT.PortMapping.2.Description=never"], { expectCode: 2 }));
    assert.strictEqual(e.code, 7012, JSON.stringify(e));
    assert.deepStrictEqual(e.params, [["Device.NAT.PortMapping.2.ExternalPort", 7012],
                                      ["Device.NAT.PortMapping.2.Status", 7013]]);
    assert.strictEqual(rpcs(sim, "SetParameterValues"), spv, "an SPV reached the device");
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.1.Description"), "local-desc");
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.2.Description"), "searched");
  });

  await t.test("Set allow_partial=true: good objects updated, bad reported", async () => {
    const r = await ctl(["--partial", "set", "Device.NAT.PortMapping.1.Description=partial-ok",
                         "Device.NAT.PortMapping.2.ExternalPort=abc"], { expectCode: 4 });
    const res = r.body.response[0].set_resp[0].updated_obj_results;
    assert.strictEqual(v0(res[0].requested_path), "Device.NAT.PortMapping.1.");
    assert.ok(res[0].oper_status[0].oper_success, JSON.stringify(res[0]));
    const f = res[1].oper_status[0].oper_failure[0];
    assert.strictEqual(v0(f.err_code), 7012);
    assert.deepStrictEqual(f.updated_inst_failures[0].param_errs.map((p) => [v0(p.param), v0(p.err_code)]),
      [["ExternalPort", 7012]]);
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.1.Description"), "partial-ok");
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.2.ExternalPort"), "27015");

    // usp-js (over the USP WebSocket MTP, which keeps the raw records):
    // an optional (required=false) bad parameter next to a good one.  usp-js
    // rejects a SetResp that carries param_errs, so read the raw reply.
    const usp = await within(lib.uspOverWs({ wsPort: br.wsPort, wsPrefix: br.wsPrefix,
                                             toId: eid, fromId: "self::usp-js" }));
    try {
      const n = usp.raw.length;
      await usp.set("Device.NAT.PortMapping.1.", {
        allowPartial: true,
        Description: { value: "opt-ok", required: false },
        InternalPort: { value: "-5", required: false },
      }).catch((e) => assert.strictEqual(e.errCode, 7012, JSON.stringify(e)));
      assert.strictEqual(usp.raw.length, n + 1);
      const { msg } = lib.decodeUspRecord(usp.raw[n]);
      assert.strictEqual(msg.header.msgType, "SET_RESP", JSON.stringify(msg));
      const res = msg.body.response.setResp.updatedObjResults;
      assert.strictEqual(res.length, 1);
      const u = res[0].operStatus.operSuccess.updatedInstResults;
      assert.deepStrictEqual(u.map((x) => [x.affectedPath, x.updatedParams]),
        [["Device.NAT.PortMapping.1.", { Description: "opt-ok" }]]);
      assert.deepStrictEqual(u[0].paramErrs.map((p) => [p.param, p.errCode]),
        [["InternalPort", 7012]]);
    } finally {
      await usp.disconnect();
    }
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.1.Description"), "opt-ok");
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.1.InternalPort"), "443");
  });

  await t.test("Set refused by the device: allow_partial false vs true", async () => {
    // the device lost PortMapping.2 behind the bridge's back: the cache
    // still has it, the device faults (9003 with 9005 for the parameter)
    assert.strictEqual(await c.cmd(`del ${SN} Device.NAT.PortMapping.2.`), "ok");
    const e = errorOf(await ctl(["set", "Device.NAT.PortMapping.1.Description=atomic",
                                 "Device.NAT.PortMapping.2.Description=gone"], { expectCode: 2 }));
    assert.strictEqual(e.code, 7004, JSON.stringify(e));
    assert.deepStrictEqual(e.params.map((p) => p[0]), ["Device.NAT.PortMapping.2.Description"]);
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.1.Description"), "opt-ok");
    const r = await ctl(["--partial", "set", "Device.NAT.PortMapping.1.Description=atomic",
                         "Device.NAT.PortMapping.2.Description=gone"], { expectCode: 4 });
    const res = r.body.response[0].set_resp[0].updated_obj_results;
    assert.ok(res[0].oper_status[0].oper_success, JSON.stringify(res[0]));
    assert.ok(res[1].oper_status[0].oper_failure, JSON.stringify(res[1]));
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.1.Description"), "atomic");
  });

  await t.test("Add rolled back when the device rejects a required parameter", async () => {
    const before = { add: rpcs(sim, "AddObject"), del: rpcs(sim, "DeleteObject") };
    const e = errorOf(await ctl(["add", "Device.NAT.PortMapping.", "Description=rollback",
                                 "ExternalPort=notanumber"], { expectCode: 2 }));
    assert.strictEqual(e.code, 7021, JSON.stringify(e));
    assert.strictEqual(rpcs(sim, "AddObject"), before.add + 1);
    assert.strictEqual(rpcs(sim, "DeleteObject"), before.del + 1, "no rollback DeleteObject");
    // instance 4 (numbers are never reused) existed for a moment, no more
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMapping.4.Description"), null);
    assert.strictEqual(await c.get(SN, "Device.NAT.PortMappingNumberOfEntries"), "1");
    const ins = await ctl(["--first-level", "instances", "Device.NAT.PortMapping."]);
    assert.deepStrictEqual(ins.body.response[0].get_instances_resp[0].req_path_results[0]
      .curr_insts.map((x) => v0(x.instantiated_obj_path)),
      ["Device.NAT.PortMapping.1.", "Device.NAT.PortMapping.2."]); // 2: stale cache (deleted locally)
  });

  await t.test("error codes", async () => {
    // 7008 bad syntax (Get: per path; Set: the message)
    let g = getResults(await ctl(["get", "Device.Time..NTPServer1"], { expectCode: 4 }));
    assert.strictEqual(g[0].err, 7008);
    let e = errorOf(await ctl(["set", "Device.Time.[.NTPServer1=x"], { expectCode: 2 }));
    assert.strictEqual(e.code, 7008, JSON.stringify(e));
    // 7026 Get of an invalid path
    g = getResults(await ctl(["get", "Device.Time.NoSuchParam", "Device.NoSuchObject."],
                             { expectCode: 4 }));
    assert.deepStrictEqual(g.map((x) => x.err), [7026, 7026]);
    // 7016 Set on a missing object
    e = errorOf(await ctl(["set", "Device.NAT.PortMapping.99.Description=x"], { expectCode: 2 }));
    assert.strictEqual(e.code, 7016, JSON.stringify(e));
    // a non-numeric value for an unsignedInt: the bridge answers 7012
    // (Invalid value), not 7011 (Invalid type): USP carries every value
    // as a string, the value does not fit the parameter's type
    e = errorOf(await ctl(["set", "Device.UserInterface.ISPLogoSize=big"], { expectCode: 2 }));
    assert.strictEqual(e.code, 7012, JSON.stringify(e));
    assert.deepStrictEqual(e.params, [["Device.UserInterface.ISPLogoSize", 7012]]);
    // 7010 unknown parameter in a Set
    e = errorOf(await ctl(["set", "Device.UserInterface.NoSuch=1"], { expectCode: 2 }));
    assert.strictEqual(e.code, 7010, JSON.stringify(e));
    // 7013 read-only (refused by the bridge; the device never sees it)
    const spv = rpcs(sim, "SetParameterValues");
    e = errorOf(await ctl(["set", "Device.DeviceInfo.SerialNumber=forged"], { expectCode: 2 }));
    assert.strictEqual(e.code, 7013, JSON.stringify(e));
    assert.deepStrictEqual(e.params, [["Device.DeviceInfo.SerialNumber", 7013]]);
    assert.strictEqual(rpcs(sim, "SetParameterValues"), spv);
    assert.strictEqual(await c.get(SN, "Device.DeviceInfo.SerialNumber"), SN);
  });

  await t.test("permissions: a role added over USP, the untrusted role (7006)", async () => {
    const role = await ctl(["add", "Device.LocalAgent.ControllerTrust.Role.", "Name=NATReader",
                            "Enable=true"]);
    const rp = v0(role.body.response[0].add_resp[0].created_obj_results[0].oper_status[0]
      .oper_success[0].instantiated_path);
    assert.strictEqual(rp, "Device.LocalAgent.ControllerTrust.Role.3.");
    await ctl(["add", `${rp}Permission.`, "Targets=Device.NAT.", "Param=r---", "Obj=r---",
               "InstantiatedObj=r---", "CommandEvent=----", "Enable=true", "Order=1"]);
    // self::limited is the third configured controller (usp-ctl splits
    // PATH=VALUE at the first '=', so no search expression here)
    assert.deepStrictEqual(getResults(await ctl(["get", "Device.LocalAgent.Controller.3.EndpointID"]))[0].res,
      [["Device.LocalAgent.Controller.3.", { EndpointID: "self::limited" }]]);
    await ctl(["set", `Device.LocalAgent.Controller.3.AssignedRole=${rp.slice(0, -1)}`]);
    const spv = rpcs(sim, "SetParameterValues");
    // self::limited may read Device.NAT. only, and write nothing
    const g = getResults(await ctl(["get", "Device.NAT.PortMapping.1.Alias", "Device.DeviceInfo.SerialNumber"],
                                   { as: "self::limited", expectCode: 4 }));
    assert.deepStrictEqual(g.map((x) => [x.err, x.res]), [
      [undefined, [["Device.NAT.PortMapping.1.", { Alias: "cpe-nas-https" }]]], [7006, []]]);
    let e = errorOf(await ctl(["set", "Device.NAT.PortMapping.1.Description=nope"],
                              { as: "self::limited", expectCode: 2 }));
    assert.strictEqual(e.code, 7006);
    assert.deepStrictEqual(e.params, [["Device.NAT.PortMapping.1.Description", 7006]]);
    // an unknown controller gets [usp] untrusted_role (ControllerTrust's Untrusted)
    const u = getResults(await ctl(["get", "Device.DeviceInfo.SerialNumber", "Device.NAT.PortMapping.1.Alias"],
                                   { as: "self::stranger", expectCode: 4 }));
    assert.deepStrictEqual(u.map((x) => [x.err, x.res]), [
      [undefined, [["Device.DeviceInfo.", { SerialNumber: SN }]]], [7006, []]]);
    e = errorOf(await ctl(["set", "Device.DeviceInfo.ProvisioningCode=stranger"],
                          { as: "self::stranger", expectCode: 2 }));
    assert.strictEqual(e.code, 7006);
    e = errorOf(await ctl(["add", "Device.NAT.PortMapping."], { as: "self::stranger", expectCode: 2 }));
    assert.strictEqual(e.code, 7006);
    assert.strictEqual(rpcs(sim, "SetParameterValues"), spv, "a refused write reached the device");
    assert.notStrictEqual(await c.get(SN, "Device.DeviceInfo.ProvisioningCode"), "stranger");
  });
  br.proc.assertClean();
});

// ---- a device that never comes ----

test("a device that does not connect: Error 7000 at the deadline, nothing applied later", async (t) => {
  const mq = await lib.startMosquitto();
  t.after(() => mq.proc.kill());
  const br = await lib.startBridge({
    cwmp: { cr_username: "cpe", cr_password: "cpe", cr_timeout: 1, cr_retries: 0 },
    usp: { mqtt_broker: "127.0.0.1", mqtt_port: mq.port, request_timeout: 3, get_policy: "live" },
  });
  t.after(() => br.proc.kill());
  const SN = "GONE000001";
  const eid = `os::${OUI}-${SN}`;
  const stateDir = lib.tmpdir("simstate");
  const simArgs = ["--count", "1", "--serial-prefix", "GONE", "--oui", OUI, "--cr-port", "0",
                   "--control", "0", "--state-dir", stateDir];
  let sim = lib.startSim(br.acsUrl, simArgs);
  t.after(() => sim.kill());
  await br.proc.wait(/sync complete/, 60000);
  let c = await control(sim);
  const ctl = ctlRunner(mq.port, eid);

  // get_policy = live: every Get reads the device
  await c.set(SN, "Device.Time.NTPServer2", "live-policy");
  const g = getResults(await ctl(["get", "Device.Time.NTPServer2"]));
  assert.deepStrictEqual(g[0].res, [["Device.Time.", { NTPServer2: "live-policy" }]]);

  c.end();
  await sim.kill();
  const t0 = Date.now();
  const [setR, getR] = await Promise.all([
    ctl(["set", "Device.UserInterface.ISPName=too-late"], { expectCode: 2 }),
    ctl(["get", "Device.Time.NTPServer1"], { expectCode: 2 }),
  ]);
  const dt = Date.now() - t0;
  for (const r of [setR, getR]) {
    const e = errorOf(r);
    assert.strictEqual(e.code, 7000, JSON.stringify(e));
    assert.strictEqual(e.msg, "the device did not connect before the request deadline; " +
                              "nothing was changed");
  }
  // request_timeout 3 s; the deadlines are swept every second
  assert.ok(dt >= 2900 && dt < 10000, `answered after ${dt} ms (request_timeout 3 s)`);
  const show = await lib.run(lib.bins.db, ["--db", br.db, "show", eid]);
  assert.doesNotMatch(show.stdout, /queue/i, "the expired request is still queued:\n" + show.stdout);

  // the device comes back: nothing of the expired Set reaches it
  sim = lib.startSim(br.acsUrl, simArgs);
  await sim.wait(/"ev":"session_end"[^\n]*"ok":true/, 30000);
  await lib.sleep(500);
  c = await control(sim);
  t.after(() => c.end());
  assert.strictEqual(rpcs(sim, "SetParameterValues"), 0);
  assert.strictEqual(await c.get(SN, "Device.UserInterface.ISPName"), "Example Broadband");
  // and it answers again
  const g2 = getResults(await ctl(["get", "Device.UserInterface.ISPName"]));
  assert.deepStrictEqual(g2[0].res, [["Device.UserInterface.", { ISPName: "Example Broadband" }]]);
  br.proc.assertClean();
});

// ---- 100 devices in parallel ----

test("100 devices driven in parallel (Get + Set each)", async (t) => {
  const N = 100;
  const mq = await lib.startMosquitto();
  t.after(() => mq.proc.kill());
  const br = await lib.startBridge({
    cwmp: { cr_username: "cpe", cr_password: "cpe" },
    usp: { mqtt_broker: "127.0.0.1", mqtt_port: mq.port, request_timeout: 60,
           controllers: "self::usp-js=usp/controllers/usp-js,self::usp-ctl" },
  });
  t.after(() => br.proc.kill());
  const sim = lib.startSim(br.acsUrl, ["--count", String(N), "--serial-prefix", "PAR", "--oui", OUI,
                                       "--cr-port", "0", "--control", "0"]);
  t.after(() => sim.kill());
  const c = await control(sim);
  t.after(() => c.end());
  // every device registered and synced
  const deadline = Date.now() + 120000;
  for (;;) {
    const l = await lib.run(lib.bins.db, ["--db", br.db, "list"]);
    const synced = (l.stdout.match(/\ssynced\s/g) || []).length;
    if (synced === N) break;
    assert.ok(Date.now() < deadline, `only ${synced}/${N} devices synced:\n${l.stdout}`);
    await lib.sleep(1000);
  }
  const serials = Array.from({ length: N }, (_, i) => `PAR${String(i + 1).padStart(6, "0")}`);

  // one usp-js controller connection per agent, all at once
  const connect = require("usp-js").default;
  const conns = await within(Promise.all(serials.map((sn) => connect({
    host: "127.0.0.1", port: mq.port, protocol: "mqtt", protocolVersion: 5,
    toId: `os::${OUI}-${sn}`, fromId: "self::usp-js",
    publishEndpoint: `usp/agents/os::${OUI}-${sn}`, subscribeEndpoint: "usp/controllers/usp-js",
  }))), 60000, "100 connects");
  try {
    const t0 = Date.now();
    const results = await within(Promise.all(conns.map(async (usp, i) => {
      const sn = serials[i];
      const [got, set] = await Promise.all([
        usp.get("Device.DeviceInfo.SerialNumber"),
        usp.set("Device.UserInterface.ISPName", `isp-${sn}`),
      ]);
      return { sn, got, set };
    })), 90000, "100 Get+Set");
    const dt = Date.now() - t0;
    t.diagnostic(`100 x (Get + Set) answered in ${dt} ms`);
    for (const r of results) {
      assert.strictEqual(r.got, r.sn);
      assert.deepStrictEqual(r.set, [{ affectedPath: "Device.UserInterface.",
                                       updatedParams: { ISPName: `isp-${r.sn}` } }]);
    }
  } finally {
    await Promise.all(conns.map((u) => u.disconnect()));
  }
  for (const sn of serials) {
    assert.strictEqual(await c.get(sn, "Device.UserInterface.ISPName"), `isp-${sn}`, sn);
  }
  assert.strictEqual(rpcs(sim, "SetParameterValues"), N);
  br.proc.assertClean();
});

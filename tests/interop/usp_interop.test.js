// USP side, end to end: a third-party controller (usp-js 0.5.1) and our
// usp-ctl drive a bridged agent (cwmp-sim device behind uspbridged) through
// a real mosquitto (MQTT 5 and 3.1.1) and over the USP WebSocket MTP:
// Get with wildcards and search expressions, Add/Set/Delete of a hosted
// Subscription read back, GetInstances, GetSupportedDM (first level,
// deeper, {i} paths, the params/commands/events flags, the device tree),
// GetSupportedProtocol.  A controller whose requests carry no Response
// Topic is answered on its configured topic ([usp] controllers = eid=topic).
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const lib = require("./lib");

const OUI = "00D09E";
const CONTROLLERS = ["self::usp-js", "self::usp-ctl", "self::usp-js-v4", "self::spare"];
const CTRL_CONF = "self::usp-js=usp/controllers/usp-js,self::usp-ctl," +
  "self::usp-js-v4=ctl/v4/replies,self::spare";
const VERSIONS = ["1.0", "1.1", "1.2", "1.3", "1.4"];

// Bounds every usp-js call: a lost answer fails the test instead of hanging.
function within(p, ms = 15000, what = "usp-js call") {
  let t;
  return Promise.race([p, new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(t));
}

// Expects a usp-js call to reject with a USP error code.
async function rejectsWith(p, code, re) {
  let err = null;
  try { await within(p); } catch (e) { err = e; }
  assert.ok(err, `expected USP error ${code}, got success`);
  assert.strictEqual(err.errCode, code, `expected ${code}: ${JSON.stringify(err)} ${err.stack || ""}`);
  if (re) assert.match(String(err.errMsg), re);
  return err;
}

// Starts a bridge + one-device sim and waits for the device's sync.
async function startStack(t, mqPort, extraUsp = {}, serial = "UI") {
  const br = await lib.startBridge({
    usp: { mqtt_broker: "127.0.0.1", mqtt_port: mqPort, controllers: CTRL_CONF,
           ...extraUsp },
  });
  t.after(() => br.proc.kill());
  const sim = lib.startSim(br.acsUrl, ["--count", "1", "--serial-prefix", serial,
                                       "--oui", OUI, "--cr-port", "0"]);
  t.after(() => sim.kill());
  await br.proc.wait(/sync complete/, 60000);
  const list = await lib.run(lib.bins.db, ["--db", br.db, "list"]);
  assert.strictEqual(list.code, 0, list.stderr);
  const eid = `os::${OUI}-${serial}000001`;
  assert.ok(list.stdout.includes(eid), list.stdout);
  return { br, sim, eid };
}

// ---- the usp-js scenarios, run over each transport ----

async function uspJsScenarios(t, usp, eid, tag) {
  await t.test(`${tag}: Get with wildcards`, async () => {
    const v = await within(usp.get("Device.LocalAgent.Controller.*.EndpointID"));
    assert.deepStrictEqual(v, CONTROLLERS);
    const raw = await within(usp.get("Device.LocalAgent.Controller.*.EndpointID", { raw: true }));
    const rp = raw.body.response.getResp.reqPathResults;
    assert.strictEqual(rp.length, 1);
    assert.strictEqual(rp[0].requestedPath, "Device.LocalAgent.Controller.*.EndpointID");
    assert.ok(!rp[0].errCode, JSON.stringify(rp[0]));
    assert.deepStrictEqual(rp[0].resolvedPathResults.map((r) => [r.resolvedPath, r.resultParams]),
      CONTROLLERS.map((c, i) => [`Device.LocalAgent.Controller.${i + 1}.`, { EndpointID: c }]));
    assert.strictEqual(await within(usp.get("Device.LocalAgent.EndpointID")), eid);
    const ips = await within(usp.get("Device.IP.Interface.*.IPv4Address.*.IPAddress"));
    assert.deepStrictEqual(ips, ["100.64.0.1", "192.168.1.1", "127.0.0.1"]);
  });

  await t.test(`${tag}: Get with search expressions`, async () => {
    assert.deepStrictEqual(
      await within(usp.get("Device.LocalAgent.Controller.[Enable==true].EndpointID")), CONTROLLERS);
    // disable one controller (hosted Set) and search again
    const s = await within(usp.set("Device.LocalAgent.Controller.4.", { Enable: "false" }));
    assert.deepStrictEqual(s, [{ affectedPath: "Device.LocalAgent.Controller.4.",
                                 updatedParams: { Enable: "false" } }]);
    assert.deepStrictEqual(
      await within(usp.get("Device.LocalAgent.Controller.[Enable==true].EndpointID")),
      CONTROLLERS.slice(0, 3));
    assert.deepStrictEqual(
      await within(usp.get("Device.LocalAgent.Controller.[Enable==false].EndpointID")),
      ["self::spare"]);
    await within(usp.set("Device.LocalAgent.Controller.4.Enable", "true"));
    assert.deepStrictEqual(
      await within(usp.get("Device.LocalAgent.Controller.[Enable==false].EndpointID")), null);
    // the device tree (tools/cwmp-sim/models/tr181-hgw.tsv)
    assert.deepStrictEqual(
      await within(usp.get("Device.NAT.PortMapping.[ExternalPort>1000].Description")),
      ["NAS web", "game server"]);
    assert.deepStrictEqual(
      await within(usp.get("Device.NAT.PortMapping.[ExternalPort>10000].Description")),
      ["game server"]);
    assert.deepStrictEqual(
      await within(usp.get('Device.NAT.PortMapping.[Protocol=="TCP"&&Enable==true].ExternalPort')),
      ["8443"]);
    assert.deepStrictEqual(
      await within(usp.get('Device.NAT.PortMapping.[Alias=="cpe-game"].InternalClient')),
      ["192.168.1.104"]);
    // no match: an empty success (R-GET), not an error
    const none = await within(usp.get("Device.NAT.PortMapping.[ExternalPort>99999].Description",
                                      { raw: true }));
    assert.deepStrictEqual(none.body.response.getResp.reqPathResults,
      [{ requestedPath: "Device.NAT.PortMapping.[ExternalPort>99999].Description" }]);
    await rejectsWith(usp.get("Device.NAT.PortMapping.[ExternalPort>].Description"), 7008);
  });

  await t.test(`${tag}: Subscription Add, Set, Delete, read back`, async () => {
    const id = `sub-${tag}`;
    const ref = "Device.DeviceInfo.ProvisioningCode";
    const raw = await within(usp.add("Device.LocalAgent.Subscription.",
      { Enable: "true", ID: id, NotifType: "ValueChange", ReferenceList: ref }, { raw: true }));
    const cr = raw.body.response.addResp.createdObjResults;
    assert.strictEqual(cr.length, 1);
    const ok = cr[0].operStatus.operSuccess;
    assert.ok(ok, JSON.stringify(cr[0]));
    const path = ok.instantiatedPath;
    assert.match(path, /^Device\.LocalAgent\.Subscription\.\d+\.$/);
    assert.strictEqual(ok.uniqueKeys.ID, id);
    assert.strictEqual(ok.uniqueKeys.Recipient, "Device.LocalAgent.Controller.1");

    const got = await within(usp.get(path));
    assert.strictEqual(got.ID, id);
    assert.strictEqual(got.Enable, "true");
    assert.strictEqual(got.NotifType, "ValueChange");
    assert.strictEqual(got.ReferenceList, ref);
    assert.strictEqual(got.Recipient, "Device.LocalAgent.Controller.1");
    assert.match(got.CreationDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // the same ID for the same recipient is a unique-key clash
    await rejectsWith(usp.add("Device.LocalAgent.Subscription.",
      { Enable: "true", ID: id, NotifType: "ValueChange", ReferenceList: ref }), 7025);

    const set = await within(usp.set(path, { Enable: "false", NotifType: "ObjectCreation" }));
    assert.deepStrictEqual(set, [{ affectedPath: path,
      updatedParams: { Enable: "false", NotifType: "ObjectCreation" } }]);
    assert.deepStrictEqual(
      await within(usp.get(`Device.LocalAgent.Subscription.[ID=="${id}"].Enable`)), ["false"]);
    assert.strictEqual(await within(usp.get(`${path}NotifType`)), "ObjectCreation");
    assert.strictEqual(await within(usp.get(`${path}ReferenceList`)), ref);

    // GetInstances gives every unique key of the table (Alias; Recipient + ID)
    const inst = await within(usp.instances("Device.LocalAgent.Subscription."));
    const mine = inst[0].currInsts.find((c) => c.instantiatedObjPath === path);
    assert.ok(mine, JSON.stringify(inst));
    assert.deepStrictEqual(mine.uniqueKeys, { Alias: ok.uniqueKeys.Alias,
      Recipient: "Device.LocalAgent.Controller.1", ID: id });

    assert.deepStrictEqual(await within(usp.del(path)), [path]);
    await rejectsWith(usp.get(path), 7026);
    assert.strictEqual(
      await within(usp.get(`Device.LocalAgent.Subscription.[ID=="${id}"].Enable`)), null);
    // Delete of what is gone: success, nothing affected (R-DEL.2a)
    assert.deepStrictEqual(await within(usp.del(path)), []);
  });

  await t.test(`${tag}: GetInstances`, async () => {
    const first = await within(usp.instances("Device.LocalAgent.Controller.", { firstLevelOnly: true }));
    assert.strictEqual(first.length, 1);
    assert.strictEqual(first[0].requestedPath, "Device.LocalAgent.Controller.");
    assert.deepStrictEqual(first[0].currInsts.map((c) => c.instantiatedObjPath),
      CONTROLLERS.map((_, i) => `Device.LocalAgent.Controller.${i + 1}.`));
    assert.deepStrictEqual(first[0].currInsts.map((c) => c.uniqueKeys),
      CONTROLLERS.map((c, i) => ({ EndpointID: c, Alias: `cpe-${i + 1}` })));
    // not first level only: the controllers' MTP instances too
    const all = await within(usp.instances("Device.LocalAgent.Controller.", { firstLevelOnly: false }));
    const paths = all[0].currInsts.map((c) => c.instantiatedObjPath);
    for (let i = 1; i <= CONTROLLERS.length; i++) {
      assert.ok(paths.includes(`Device.LocalAgent.Controller.${i}.`), paths.join(" "));
      assert.ok(paths.includes(`Device.LocalAgent.Controller.${i}.MTP.1.`), paths.join(" "));
    }
    // the device tree
    const pm = await within(usp.instances("Device.NAT.PortMapping.", { firstLevelOnly: true }));
    assert.deepStrictEqual(pm[0].currInsts, [
      { instantiatedObjPath: "Device.NAT.PortMapping.1.", uniqueKeys: { Alias: "cpe-nas-https" } },
      { instantiatedObjPath: "Device.NAT.PortMapping.2.", uniqueKeys: { Alias: "cpe-game" } },
    ]);
    await rejectsWith(usp.instances("Device.NoSuchThing."), 7026);
  });

  await t.test(`${tag}: GetSupportedDM`, async () => {
    const all = { firstLevelOnly: true, returnCommands: true, returnEvents: true, returnParams: true };
    const r1 = await within(usp.supportedDM("Device.LocalAgent.", all));
    assert.strictEqual(r1.length, 1);
    assert.strictEqual(r1[0].reqObjPath, "Device.LocalAgent.");
    const objs = r1[0].supportedObjs;
    assert.deepStrictEqual(objs.map((o) => o.supportedObjPath), [
      "Device.LocalAgent.", "Device.LocalAgent.MTP.{i}.", "Device.LocalAgent.Controller.{i}.",
      "Device.LocalAgent.Subscription.{i}.", "Device.LocalAgent.Request.{i}.",
      "Device.LocalAgent.ControllerTrust."]);
    const by = Object.fromEntries(objs.map((o) => [o.supportedObjPath, o]));
    const la = by["Device.LocalAgent."];
    assert.strictEqual(la.access, "OBJ_READ_ONLY");
    assert.ok(!la.isMultiInstance);
    assert.deepStrictEqual(la.supportedEvents.map((e) => e.eventName), ["Periodic!", "TransferComplete!"]);
    const p = Object.fromEntries(la.supportedParams.map((x) => [x.paramName, x]));
    assert.strictEqual(p.EndpointID.access, "PARAM_READ_ONLY");
    assert.strictEqual(p.EndpointID.valueType, "PARAM_STRING");
    assert.strictEqual(p.UpTime.valueType, "PARAM_UNSIGNED_INT");
    const sub = by["Device.LocalAgent.Subscription.{i}."];
    assert.strictEqual(sub.access, "OBJ_ADD_DELETE");
    assert.strictEqual(sub.isMultiInstance, true);
    const sp = Object.fromEntries(sub.supportedParams.map((x) => [x.paramName, x]));
    for (const n of ["ID", "Enable", "NotifType", "ReferenceList"]) {
      assert.strictEqual(sp[n] && sp[n].access, "PARAM_READ_WRITE", n);
    }
    assert.strictEqual(sp.Enable.valueType, "PARAM_BOOLEAN");
    assert.deepStrictEqual(by["Device.LocalAgent.Controller.{i}."].supportedCommands,
      [{ commandName: "SendOnBoardRequest()", commandType: "CMD_SYNC" }]);

    // the flags: nothing of what was not asked for
    const bare = await within(usp.supportedDM("Device.LocalAgent.",
      { firstLevelOnly: true, returnCommands: false, returnEvents: false, returnParams: false }));
    assert.deepStrictEqual(bare[0].supportedObjs.map((o) => o.supportedObjPath),
      objs.map((o) => o.supportedObjPath));
    for (const o of bare[0].supportedObjs) {
      assert.ok(!o.supportedParams && !o.supportedCommands && !o.supportedEvents,
        JSON.stringify(o));
    }

    // deeper than the first level, and a {i} path
    const deep = await within(usp.supportedDM("Device.LocalAgent.Controller.",
      { firstLevelOnly: false, returnCommands: true, returnEvents: true, returnParams: false }));
    assert.deepStrictEqual(deep[0].supportedObjs.map((o) => o.supportedObjPath), [
      "Device.LocalAgent.Controller.{i}.", "Device.LocalAgent.Controller.{i}.MTP.{i}.",
      "Device.LocalAgent.Controller.{i}.MTP.{i}.WebSocket.",
      "Device.LocalAgent.Controller.{i}.MTP.{i}.MQTT.",
      "Device.LocalAgent.Controller.{i}.BootParameter.{i}."]);
    const ci = await within(usp.supportedDM("Device.LocalAgent.Controller.{i}.",
      { firstLevelOnly: true, returnCommands: false, returnEvents: false, returnParams: false }));
    assert.deepStrictEqual(ci[0].supportedObjs.map((o) => o.supportedObjPath), [
      "Device.LocalAgent.Controller.{i}.", "Device.LocalAgent.Controller.{i}.MTP.{i}.",
      "Device.LocalAgent.Controller.{i}.BootParameter.{i}."]);

    // the device tree: tables are Foo.{i}., multi-instance, with types and access
    const nat = await within(usp.supportedDM("Device.NAT.", all));
    const no = nat[0].supportedObjs;
    assert.deepStrictEqual(no.map((o) => [o.supportedObjPath, o.access, !!o.isMultiInstance]), [
      ["Device.NAT.", "OBJ_READ_ONLY", false],
      ["Device.NAT.InterfaceSetting.{i}.", "OBJ_ADD_DELETE", true],
      ["Device.NAT.PortMapping.{i}.", "OBJ_ADD_DELETE", true]]);
    const pmp = Object.fromEntries(no[2].supportedParams.map((x) => [x.paramName, x]));
    assert.strictEqual(pmp.ExternalPort.valueType, "PARAM_UNSIGNED_INT");
    assert.strictEqual(pmp.ExternalPort.access, "PARAM_READ_WRITE");
    assert.strictEqual(pmp.Enable.valueType, "PARAM_BOOLEAN");
    assert.strictEqual(pmp.Status.access, "PARAM_READ_ONLY");
    assert.deepStrictEqual(Object.keys(pmp).sort(), ["Alias", "AllInterfaces", "Description",
      "Enable", "ExternalPort", "ExternalPortEndRange", "Interface", "InternalClient",
      "InternalPort", "LeaseDuration", "Protocol", "RemoteHost", "Status"]);
    const ipi = await within(usp.supportedDM("Device.IP.Interface.{i}.",
      { firstLevelOnly: true, returnCommands: false, returnEvents: false, returnParams: false }));
    assert.deepStrictEqual(ipi[0].supportedObjs.map((o) => o.supportedObjPath), [
      "Device.IP.Interface.{i}.", "Device.IP.Interface.{i}.IPv4Address.{i}.",
      "Device.IP.Interface.{i}.IPv6Address.{i}.", "Device.IP.Interface.{i}.IPv6Prefix.{i}.",
      "Device.IP.Interface.{i}.Stats."]);
    // Device. first level: the device's top objects plus the hosted LocalAgent
    const top = await within(usp.supportedDM("Device.",
      { firstLevelOnly: true, returnCommands: false, returnEvents: false, returnParams: false }));
    const tops = top[0].supportedObjs.map((o) => o.supportedObjPath);
    for (const o of ["Device.", "Device.DeviceInfo.", "Device.NAT.", "Device.IP.",
                     "Device.ManagementServer.", "Device.LocalAgent."]) {
      assert.ok(tops.includes(o), `${o} missing: ${tops.join(" ")}`);
    }
    assert.ok(tops.includes("Device.InterfaceStack.{i}."), tops.join(" "));
    assert.ok(tops.every((o) => /^Device\.([A-Za-z_0-9]+\.(\{i\}\.)?)?$/.test(o)), tops.join(" "));
    await rejectsWith(usp.supportedDM("Device.NoSuchThing.", all), 7026);
  });

  await t.test(`${tag}: GetSupportedProtocol`, async () => {
    assert.deepStrictEqual(await within(usp.supportedProto("1.3")), VERSIONS);
    assert.deepStrictEqual(await within(usp.supportedProto("1.0,1.1,1.2,1.3,1.4")), VERSIONS);
  });
}

// ---- usp-ctl ----

function ctlRunner(conn) {
  return async (args, { id = "self::usp-ctl", expectCode = 0 } = {}) => {
    const base = conn.ws
      ? ["--ws", `ws://127.0.0.1:${conn.wsPort}${conn.wsPrefix}${encodeURIComponent(conn.eid)}`]
      : ["--mqtt", `127.0.0.1:${conn.mqPort}`, ...(conn.v311 ? ["--mqtt-version", "3.1.1"] : [])];
    const r = await lib.run(lib.bins.ctl,
      [...base, "--agent", conn.eid, "--id", id, "--timeout", "15", ...args]);
    assert.strictEqual(r.code, expectCode,
      `usp-ctl ${args.join(" ")}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const msg = lib.parsePbText(r.stdout);
    return { msg, body: msg.body[0], type: msg.header[0].msg_type[0] };
  };
}

async function uspCtlScenarios(t, ctl, tag) {
  await t.test(`${tag}: usp-ctl Get (wildcard, search, device tree)`, async () => {
    const r = await ctl(["get", "Device.LocalAgent.Controller.*.EndpointID",
                         "Device.LocalAgent.Controller.[Enable==true].Enable",
                         "Device.NAT.PortMapping.[ExternalPort>10000].Description"]);
    assert.strictEqual(r.type, "GET_RESP");
    const res = r.body.response[0].get_resp[0].req_path_results;
    assert.strictEqual(res.length, 3);
    assert.deepStrictEqual(res[0].resolved_path_results.map((x) =>
      [x.resolved_path[0], x.result_params[0].key[0], x.result_params[0].value[0]]),
      CONTROLLERS.map((c, i) => [`Device.LocalAgent.Controller.${i + 1}.`, "EndpointID", c]));
    assert.deepStrictEqual(res[1].resolved_path_results.map((x) => x.result_params[0].value[0]),
      CONTROLLERS.map(() => "true"));
    assert.deepStrictEqual(res[2].resolved_path_results.map((x) =>
      [x.resolved_path[0], x.result_params[0].value[0]]),
      [["Device.NAT.PortMapping.2.", "game server"]]);
    for (const x of res) assert.strictEqual(x.err_code, undefined, JSON.stringify(x));
    // errors inside the GetResp: 7026 unknown path, 7008 bad syntax
    const e = await ctl(["get", "Device.NoSuch.Param", "Device.NAT..X"], { expectCode: 4 });
    const er = e.body.response[0].get_resp[0].req_path_results;
    assert.deepStrictEqual(er.map((x) => [x.requested_path[0], x.err_code[0]]),
      [["Device.NoSuch.Param", 7026], ["Device.NAT..X", 7008]]);
  });

  await t.test(`${tag}: usp-ctl Subscription Add/Set/Delete`, async () => {
    const id = `ctl-${tag}`;
    const a = await ctl(["add", "Device.LocalAgent.Subscription.", `ID=${id}`,
                         "NotifType=ObjectCreation", "ReferenceList=Device.NAT.PortMapping.",
                         "Enable=true"]);
    assert.strictEqual(a.type, "ADD_RESP");
    const ok = a.body.response[0].add_resp[0].created_obj_results[0].oper_status[0].oper_success[0];
    const path = ok.instantiated_path[0];
    assert.match(path, /^Device\.LocalAgent\.Subscription\.\d+\.$/);
    const keys = Object.fromEntries(ok.unique_keys.map((k) => [k.key[0], k.value[0]]));
    assert.strictEqual(keys.ID, id);
    assert.strictEqual(keys.Recipient, "Device.LocalAgent.Controller.2");

    const s = await ctl(["set", `${path}NotifType=ObjectDeletion`]);
    const upd = s.body.response[0].set_resp[0].updated_obj_results[0]
      .oper_status[0].oper_success[0].updated_inst_results[0];
    assert.strictEqual(upd.affected_path[0], path);
    assert.deepStrictEqual(upd.updated_params.map((k) => [k.key[0], k.value[0]]),
      [["NotifType", "ObjectDeletion"]]);

    const g = await ctl(["get", `${path}NotifType`, `${path}ID`, `${path}Enable`]);
    assert.deepStrictEqual(g.body.response[0].get_resp[0].req_path_results.map((x) =>
      x.resolved_path_results[0].result_params[0].value[0]), ["ObjectDeletion", id, "true"]);

    const d = await ctl(["delete", path]);
    const dr = d.body.response[0].delete_resp[0].deleted_obj_results[0];
    assert.deepStrictEqual(dr.oper_status[0].oper_success[0].affected_paths, [path]);
    await ctl(["get", path], { expectCode: 4 });
  });

  await t.test(`${tag}: usp-ctl GetInstances, GetSupportedDM, GetSupportedProtocol`, async () => {
    const i = await ctl(["--first-level", "instances", "Device.NAT.PortMapping."]);
    const ci = i.body.response[0].get_instances_resp[0].req_path_results[0].curr_insts;
    assert.deepStrictEqual(ci.map((c) => [c.instantiated_obj_path[0], c.unique_keys[0].value[0]]),
      [["Device.NAT.PortMapping.1.", "cpe-nas-https"], ["Device.NAT.PortMapping.2.", "cpe-game"]]);

    const sdm = await ctl(["--first-level", "supported-dm", "Device.LocalAgent."]);
    const ro = sdm.body.response[0].get_supported_dm_resp[0].req_obj_results[0];
    assert.strictEqual(ro.req_obj_path[0], "Device.LocalAgent.");
    assert.strictEqual(ro.err_code, undefined);
    assert.deepStrictEqual(ro.supported_objs.map((o) => o.supported_obj_path[0]), [
      "Device.LocalAgent.", "Device.LocalAgent.MTP.{i}.", "Device.LocalAgent.Controller.{i}.",
      "Device.LocalAgent.Subscription.{i}.", "Device.LocalAgent.Request.{i}.",
      "Device.LocalAgent.ControllerTrust."]);
    assert.deepStrictEqual(ro.supported_objs[0].supported_events.map((e) => e.event_name[0]),
      ["Periodic!", "TransferComplete!"]);
    const sdm2 = await ctl(["supported-dm", "Device.NAT.PortMapping.{i}."]);
    const o2 = sdm2.body.response[0].get_supported_dm_resp[0].req_obj_results[0].supported_objs;
    assert.strictEqual(o2.length, 1);
    assert.strictEqual(o2[0].supported_obj_path[0], "Device.NAT.PortMapping.{i}.");
    assert.strictEqual(o2[0].is_multi_instance[0], "true");
    assert.strictEqual(o2[0].access[0], "OBJ_ADD_DELETE");
    const ep = o2[0].supported_params.find((p) => p.param_name[0] === "ExternalPort");
    assert.strictEqual(ep.value_type[0], "PARAM_UNSIGNED_INT");

    const p = await ctl(["supported-proto", "1.3"]);
    assert.strictEqual(p.type, "GET_SUPPORTED_PROTO_RESP");
    assert.strictEqual(p.body.response[0].get_supported_protocol_resp[0]
      .agent_supported_protocol_versions[0], VERSIONS.join(","));
  });

  await t.test(`${tag}: usp-ctl from an unknown controller is refused (7002)`, async () => {
    const r = await ctl(["get", "Device.DeviceInfo.SerialNumber"],
                        { id: "self::stranger", expectCode: 2 });
    assert.strictEqual(r.type, "ERROR");
    assert.strictEqual(r.body.error[0].err_code[0], 7002);
  });
}

// MQTT spy: every PUBLISH crossing the broker (topic and size).
async function mqttSpy(port) {
  const mqtt = require("mqtt");
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5 });
  const seen = [];
  await new Promise((res, rej) => { c.once("connect", res); c.once("error", rej); });
  await new Promise((res, rej) => c.subscribe("#", (e) => (e ? rej(e) : res())));
  c.on("message", (topic, payload, packet) => seen.push({ topic, len: payload.length,
    responseTopic: packet.properties && packet.properties.responseTopic }));
  return { seen, end: () => new Promise((r) => c.end(true, {}, r)) };
}

test("USP side: usp-js and usp-ctl against a bridged agent (MQTT 5, WebSocket)", async (t) => {
  const mq = await lib.startMosquitto();
  t.after(() => mq.proc.kill());
  const { br, eid } = await startStack(t, mq.port);
  const spy = await mqttSpy(mq.port);
  t.after(() => spy.end());

  // usp-js over MQTT 5 through mosquitto (it sets no Response Topic: the
  // answer must come on the configured topic usp/controllers/usp-js)
  const connect = require("usp-js").default;
  const mqttUsp = await within(connect({
    host: "127.0.0.1", port: mq.port, protocol: "mqtt", protocolVersion: 5,
    toId: eid, fromId: "self::usp-js",
    publishEndpoint: `usp/agents/${eid}`, subscribeEndpoint: "usp/controllers/usp-js",
  }), 15000, "usp-js MQTT 5 connect");
  try {
    await uspJsScenarios(t, mqttUsp, eid, "usp-js/MQTT5");
  } finally {
    await mqttUsp.disconnect();
  }
  const toJs = spy.seen.filter((m) => m.topic === "usp/controllers/usp-js");
  assert.ok(toJs.length >= 20, `answers on usp/controllers/usp-js: ${toJs.length}`);
  const reqs = spy.seen.filter((m) => m.topic === `usp/agents/${eid}`);
  assert.ok(reqs.every((m) => !m.responseTopic), "usp-js set a Response Topic after all");
  // the bridge publishes with its agent topic as Response Topic
  assert.ok(toJs.every((m) => m.responseTopic === `usp/agents/${eid}`),
    JSON.stringify(toJs.slice(0, 3)));

  // usp-js over the USP WebSocket MTP
  const wsUsp = await within(lib.uspOverWs({ wsPort: br.wsPort, wsPrefix: br.wsPrefix,
                                             toId: eid, fromId: "self::usp-js" }),
                             15000, "usp-js WebSocket connect");
  try {
    await uspJsScenarios(t, wsUsp, eid, "usp-js/WS");
  } finally {
    await wsUsp.disconnect();
  }

  await uspCtlScenarios(t, ctlRunner({ mqPort: mq.port, eid }), "usp-ctl/MQTT5");
  await uspCtlScenarios(t, ctlRunner({ ws: true, wsPort: br.wsPort, wsPrefix: br.wsPrefix, eid }),
                        "usp-ctl/WS");
  br.proc.assertClean();
});

test("USP side over MQTT 3.1.1: configured reply topic, usp-js v4 and usp-ctl", async (t) => {
  const mq = await lib.startMosquitto();
  t.after(() => mq.proc.kill());
  const { br, eid } = await startStack(t, mq.port,
    { mqtt_version: "3.1.1", mqtt_client_id: "uspbridge-v311", ws_port: -1 }, "V3");
  const spy = await mqttSpy(mq.port);
  t.after(() => spy.end());

  // usp-js with MQTT 3.1.1 (protocolVersion 4): no Response Topic, no
  // reply-to suffix: answered on its configured topic ctl/v4/replies.  In
  // 3.1.1 the bridge adds its own reply-to as a topic suffix
  // (ctl/v4/replies/reply-to=usp%2Fagents%2F<eid>), so the controller
  // subscribes to ctl/v4/replies/# as TR-369 asks of 3.1.1 endpoints.
  const connect = require("usp-js").default;
  const usp = await within(connect({
    host: "127.0.0.1", port: mq.port, protocol: "mqtt", protocolVersion: 4,
    toId: eid, fromId: "self::usp-js-v4",
    publishEndpoint: `usp/agents/${eid}`, subscribeEndpoint: "ctl/v4/replies/#",
  }), 15000, "usp-js MQTT 3.1.1 connect");
  try {
    await t.test("usp-js v4: Get, search, Subscription, GetInstances, GSDM, GSP", async () => {
      assert.deepStrictEqual(await within(usp.get("Device.LocalAgent.Controller.*.EndpointID")),
        CONTROLLERS);
      assert.deepStrictEqual(
        await within(usp.get("Device.NAT.PortMapping.[ExternalPort>1000].Description")),
        ["NAS web", "game server"]);
      assert.match(String(await within(usp.get("Device.DeviceInfo.SerialNumber"))), /^V3000001$/);
      const p = await within(usp.add("Device.LocalAgent.Subscription.",
        { Enable: "true", ID: "v4", NotifType: "ValueChange",
          ReferenceList: "Device.DeviceInfo.ProvisioningCode" }));
      assert.strictEqual(await within(usp.get(`${p}Recipient`)), "Device.LocalAgent.Controller.3");
      assert.deepStrictEqual(await within(usp.del(p)), [p]);
      const i = await within(usp.instances("Device.LocalAgent.Controller.", { firstLevelOnly: true }));
      assert.strictEqual(i[0].currInsts.length, CONTROLLERS.length);
      const s = await within(usp.supportedDM("Device.NAT.",
        { firstLevelOnly: true, returnCommands: false, returnEvents: false, returnParams: false }));
      assert.deepStrictEqual(s[0].supportedObjs.map((o) => o.supportedObjPath),
        ["Device.NAT.", "Device.NAT.InterfaceSetting.{i}.", "Device.NAT.PortMapping.{i}."]);
      assert.deepStrictEqual(await within(usp.supportedProto("1.3")), VERSIONS);
    });
  } finally {
    await usp.disconnect();
  }
  const replies = spy.seen.filter((m) => m.topic.startsWith("ctl/v4/replies"));
  assert.ok(replies.length >= 8, `answers on ctl/v4/replies: ${replies.length}`);
  assert.ok(replies.every((m) => m.topic ===
    `ctl/v4/replies/reply-to=${encodeURIComponent(`usp/agents/${eid}`).replace(/%3A/g, ":")}`),
    JSON.stringify(replies.slice(0, 2)));
  assert.strictEqual(spy.seen.filter((m) => m.topic.startsWith("usp/controllers/usp-js-v4")).length, 0);

  await uspCtlScenarios(t, ctlRunner({ mqPort: mq.port, eid, v311: true }), "usp-ctl/MQTT3.1.1");
  br.proc.assertClean();
});

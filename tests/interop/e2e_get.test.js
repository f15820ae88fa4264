// End to end: cwmp-sim devices boot against uspbridged, the bridge syncs
// their trees into LMDB, and a third-party controller (usp-js) reads them
// over the USP WebSocket MTP and over MQTT through a real mosquitto.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const lib = require("./lib");

const OUI = "00D09E";

test("bridged devices answer usp-js over WebSocket and MQTT", async (t) => {
  const mq = await lib.startMosquitto();
  const br = await lib.startBridge({
    general: { stats_interval: 1 },
    usp: { mqtt_broker: "127.0.0.1", mqtt_port: mq.port,
           controllers: "self::usp-js=usp/controllers/usp-js,self::usp-ctl" },
  });
  t.after(async () => { await br.proc.kill(); await mq.proc.kill(); });

  const sim = lib.startSim(br.acsUrl, ["--count", "3", "--serial-prefix", "E2E",
                                       "--oui", OUI, "--cr-port", "0"]);
  t.after(() => sim.kill());
  // three full syncs
  await br.proc.wait(/(sync complete[\s\S]*){3}/, 60000);

  const list = await lib.run(lib.bins.db, ["--db", br.db, "list"]);
  assert.strictEqual(list.code, 0, list.stderr);
  const eids = [...list.stdout.matchAll(/os::[0-9A-F]{6}-\S+/g)].map((m) => m[0]);
  assert.strictEqual(new Set(eids).size, 3, list.stdout);
  const eid = eids.sort()[0];

  await t.test("Get over the WebSocket MTP", async () => {
    const usp = await lib.uspOverWs({ wsPort: br.wsPort, wsPrefix: br.wsPrefix,
                                      toId: eid, fromId: "self::usp-js" });
    try {
      const sn = await usp.get("Device.DeviceInfo.SerialNumber");
      assert.match(String(sn), /^E2E/);
      const info = await usp.get("Device.DeviceInfo.");
      assert.ok(info && typeof info === "object", JSON.stringify(info));
      const la = await usp.get("Device.LocalAgent.EndpointID");
      assert.strictEqual(la, eid);
      const proto = await usp.supportedProto("1.0,1.3");
      assert.match(String(proto), /1\.3/);
    } finally {
      await usp.disconnect();
    }
  });

  await t.test("usp-ctl Set addressed by a search expression", async () => {
    const r = await lib.run(lib.bins.ctl, [
      "--ws", `ws://127.0.0.1:${br.wsPort}${br.wsPrefix}${eid}`, "--agent", eid,
      "set", 'Device.LocalAgent.Controller.[EndpointID=="self::usp-ctl"].PeriodicNotifInterval=600']);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /affected_path: "Device\.LocalAgent\.Controller\.\d+\."/);
    assert.match(r.stdout, /key: "PeriodicNotifInterval"\s+value: "600"/);
  });

  await t.test("operational statistics in the log", async () => {
    const mark = br.proc.mark();
    const m = await br.proc.wait(/notice stats +cwmp sessions=(\d+) .*informs=(\d+).*usp rx=(\d+) tx=(\d+)/, 5000, mark);
    assert.ok(Number(m[1]) >= 3 && Number(m[2]) >= 3, m[0]);
    assert.ok(Number(m[3]) >= 1 && Number(m[4]) >= 1, m[0]);
  });

  await t.test("Get over MQTT 5 through mosquitto", async () => {
    const connect = require("usp-js").default;
    const usp = await connect({
      host: "127.0.0.1", port: mq.port, protocol: "mqtt", protocolVersion: 5,
      toId: eid, fromId: "self::usp-js",
      publishEndpoint: `usp/agents/${eid}`,
      subscribeEndpoint: "usp/controllers/usp-js",
    });
    try {
      const sn = await usp.get("Device.DeviceInfo.SerialNumber");
      assert.match(String(sn), /^E2E/);
      const ctrl = await usp.get("Device.LocalAgent.Controller.[EndpointID==\"self::usp-js\"].Enable");
      assert.strictEqual(String(ctrl), "true");
    } finally {
      await usp.disconnect();
    }
  });
});

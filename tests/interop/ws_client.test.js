// Agent as WebSocket client ([usp] ws_controllers): every bridged agent
// opens its own session (subprotocol v1.usp, ?eid=<agent>) to the
// controller's WebSocket server, answers requests on it, and reconnects
// after the server drops it.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const WebSocket = require("ws");
const pb = require("protobufjs");
const { jsonRoots } = require("usp-js/node/configurations/util");
const lib = require("./lib");

const CTRL = "self::ws-server-ctl";
const [recJson, msgJson] = jsonRoots["1.3"];
const Record = pb.Root.fromJSON(recJson).lookupType("usp_record.Record");
const Msg = pb.Root.fromJSON(msgJson).lookupType("usp.Msg");

function getRecord(agent, msgId, paths) {
  const msg = Msg.encode(Msg.fromObject({
    header: { msgId, msgType: "GET" },
    body: { request: { get: { paramPaths: paths } } },
  })).finish();
  return Buffer.from(Record.encode(Record.fromObject({
    version: "1.3", toId: agent, fromId: CTRL, noSessionContext: { payload: msg },
  })).finish());
}

test("agents connect to a controller's WebSocket server and answer on it", async (t) => {
  const port = await lib.freePort();
  const sessions = new Map(); // agent eid -> ws
  const waiters = [];
  const server = new WebSocket.Server({
    host: "127.0.0.1", port, path: "/usp",
    handleProtocols: (protos) => (protos.has("v1.usp") ? "v1.usp" : false),
  });
  const connectRecords = new Map(); // agent eid -> decoded first record
  server.on("connection", (ws, req) => {
    const eid = new URL(req.url, "http://x").searchParams.get("eid");
    // R-WS.8: the agent's first record is a WebSocketConnectRecord
    ws.once("message", (data) => {
      connectRecords.set(eid, lib.decodeUspRecord(data).record);
      sessions.set(eid, ws);
      waiters.splice(0).forEach((w) => w());
    });
  });
  t.after(() => server.close());
  const until = async (pred, ms = 20000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error("timeout");
      await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
    }
  };

  const br = await lib.startBridge({
    usp: { ws_controllers: `${CTRL}=ws://127.0.0.1:${port}/usp` },
  });
  t.after(() => br.proc.kill());
  const sim = lib.startSim(br.acsUrl, ["--count", "2", "--serial-prefix", "WSC", "--once"]);
  await sim.wait(/"sessions_ok":2/, 30000);
  const a1 = "os::ACDE48-WSC000001", a2 = "os::ACDE48-WSC000002";
  await until(() => sessions.has(a1) && sessions.has(a2));
  assert.strictEqual(sessions.get(a1).protocol, "v1.usp");
  for (const a of [a1, a2]) {
    const rec = connectRecords.get(a);
    assert.ok(rec.websocketConnect, JSON.stringify(rec));
    assert.strictEqual(rec.fromId, a);
    assert.strictEqual(rec.toId, CTRL);
  }

  const ask = (agent, id) => new Promise((resolve, reject) => {
    const ws = sessions.get(agent);
    const timer = setTimeout(() => reject(new Error("no answer")), 10000);
    ws.once("message", (data) => {
      clearTimeout(timer);
      resolve(lib.decodeUspRecord(data));
    });
    ws.send(getRecord(agent, id, ["Device.DeviceInfo.SerialNumber", "Device.LocalAgent.EndpointID"]));
  });
  for (const [agent, serial] of [[a1, "WSC000001"], [a2, "WSC000002"]]) {
    const { record, msg } = await ask(agent, `m-${serial}`);
    assert.strictEqual(record.toId, CTRL);
    assert.strictEqual(record.fromId, agent);
    assert.strictEqual(msg.header.msgId, `m-${serial}`);
    const res = msg.body.response.getResp.reqPathResults;
    assert.strictEqual(res[0].resolvedPathResults[0].resultParams.SerialNumber, serial);
    assert.strictEqual(res[1].resolvedPathResults[0].resultParams.EndpointID, agent);
  }

  // the server drops one session: the agent comes back by itself
  const old = sessions.get(a1);
  sessions.delete(a1);
  old.terminate();
  await until(() => sessions.has(a1), 30000);
  const { msg } = await ask(a1, "m-again");
  assert.strictEqual(msg.header.msgId, "m-again");
});

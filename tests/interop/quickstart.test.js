// The README's quick start, run as written: the daemon on its embedded
// default (fixed ports 7547 and 8080, state under ./data), then every
// command line between <!-- quickstart:begin --> and <!-- quickstart:end -->,
// then the MQTT variant (<!-- quickstart-mqtt:begin/end -->) with the
// gateway restarted with the option the README names.  Commands run through
// `sh -c` in a temporary working directory in which ./build is a symlink to
// UB_BIN_DIR, so they are exactly the README's text.  Skipped (with the
// reason) when a fixed port is taken on this machine.  The broker is
// mosquitto on the README's port but bound to 127.0.0.1 only (the README's
// `mosquitto -p PORT` listens on every interface).
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const lib = require("./lib");
const dm = require("./dm_util");

const README = path.resolve(__dirname, "../../README.md");

function shBlock(text, begin, end) {
  const i = text.indexOf(begin), j = text.indexOf(end);
  if (i < 0 || j < i) return null;
  const m = text.slice(i + begin.length, j).match(/```sh\n([\s\S]*?)```/);
  if (!m) return null;
  return m[1].split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

function parseReadme() {
  const text = fs.readFileSync(README, "utf8");
  const qs = shBlock(text, "<!-- quickstart:begin -->", "<!-- quickstart:end -->");
  const mqtt = shBlock(text, "<!-- quickstart-mqtt:begin -->", "<!-- quickstart-mqtt:end -->");
  // the daemon: the uspbridged step of the install/build/start chain
  const start = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1])
    .flatMap((b) => b.split("\n")).flatMap((l) => l.split("&&")).map((s) => s.trim())
    .find((s) => /^\.\/build\/bridge\/uspbridged$/.test(s));
  const broker = text.match(/`mosquitto -p (\d+)`/);
  const mqttOpt = text.match(/`(--mqtt-broker \S+)`/);
  return { qs, mqtt, start, brokerPort: broker && Number(broker[1]),
           mqttOpt: mqttOpt && mqttOpt[1] };
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

function sh(cwd, cmd, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const { spawn } = require("node:child_process");
    const c = spawn("sh", ["-c", cmd], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    c.stdout.on("data", (d) => { stdout += d; });
    c.stderr.on("data", (d) => { stderr += d; });
    const t = setTimeout(() => { c.kill("SIGKILL"); reject(new Error(`timed out: ${cmd}\n${stderr}`)); },
                         timeoutMs);
    c.on("close", (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); }); // all output read
  });
}

// usp-ctl's protobuf text: the result_params of a GetResp as "key" -> value
function getRespParams(out) {
  const r = {};
  for (const m of out.matchAll(/resolved_path: "([^"]*)"|key: "([^"]*)"\s*(?:value: "([^"]*)")?/g)) {
    if (m[1] !== undefined) r._obj = m[1];
    else r[r._obj + m[2]] = m[3] === undefined ? "" : m[3];
  }
  delete r._obj;
  return r;
}

test("README quick start runs as written", async (t) => {
  const rd = parseReadme();
  assert.ok(rd.qs && rd.qs.length >= 3, "README has the quickstart block with commands");
  assert.strictEqual(rd.start, "./build/bridge/uspbridged", "README's start command");
  const busy = [];
  for (const p of [7547, 8080]) if (!(await portFree(p))) busy.push(p);
  if (busy.length) {
    t.skip(`port ${busy.join(" and ")} in use on this machine: the embedded default ` +
           "configuration needs 7547 and 8080");
    return;
  }

  const cwd = lib.tmpdir("quickstart");
  fs.symlinkSync(path.resolve(path.dirname(lib.bins.bridge), ".."), path.join(cwd, "build"));
  let daemon = new lib.Proc("uspbridged", "sh", ["-c", `exec ${rd.start}`], { cwd });
  let mq = null;
  t.after(async () => {
    await daemon.kill();
    if (mq) await mq.kill();
  });
  try {
    await daemon.wait(/USP WebSocket MTP on ws:\/\/127\.0\.0\.1:8080\/usp\//, 10000);
  } catch (e) {
    if (/in use|EADDRINUSE/i.test(daemon.out)) {
      t.skip(`a fixed port was taken while starting: ${daemon.out.slice(-300)}`);
      return;
    }
    throw e;
  }
  assert.match(daemon.out, /configuration: embedded default/);
  assert.match(daemon.out, /ACS endpoint listening on http:\/\/127\.0\.0\.1:7547\//);

  // the commands, in order
  const sim = rd.qs.find((c) => c.includes("cwmp-sim"));
  const count = Number((sim.match(/--count (\d+)/) || [0, 1])[1]);
  const prefix = (sim.match(/--serial-prefix (\S+)/) || [0, "SIM"])[1];
  const eids = Array.from({ length: count }, (_, i) => `os::ACDE48-${prefix}${String(i + 1).padStart(6, "0")}`);
  for (const cmd of rd.qs) {
    const r = await sh(cwd, cmd);
    assert.strictEqual(r.code, 0, `${cmd}\n${r.stdout}\n${r.stderr}`);
    if (cmd === sim) {
      assert.match(r.stdout + r.stderr, new RegExp(`${count} devices, sessions ok ${count}, failed 0`));
    } else if (/uspbridge-db .* list$/.test(cmd)) {
      const rows = r.stdout.split("\n").slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/));
      assert.deepStrictEqual(rows.map((f) => [f[1], f[4], f[5]]),
                             eids.map((e) => [e, "synced", "2512"]), r.stdout);
    } else if (/usp-ctl .* get /.test(cmd)) {
      const eid = cmd.match(/--agent (\S+)/)[1];
      assert.ok(eids.includes(eid), eid);
      assert.match(r.stdout, /msg_type: GET_RESP/);
      const p = getRespParams(r.stdout);
      assert.strictEqual(p["Device.DeviceInfo.SerialNumber"], eid.replace(/^os::ACDE48-/, ""));
      assert.strictEqual(p["Device.DeviceInfo.ManufacturerOUI"], "ACDE48");
      assert.strictEqual(p["Device.DeviceInfo.SoftwareVersion"], "4.2.1-sim");
      assert.strictEqual(p["Device.DeviceInfo.ProductClass"], "SimGW");
      assert.strictEqual(p["Device.DeviceInfo.MemoryStatus.Total"], "524288");
      assert.ok(Object.keys(p).length >= 60, `${Object.keys(p).length} parameters under Device.DeviceInfo.`);
    }
  }
  assert.ok(fs.existsSync(path.join(cwd, "data", "db")), "state under ./data");

  await t.test("the same through mosquitto (MQTT 5)", async (st) => {
    assert.ok(rd.mqtt && rd.mqtt.length >= 1, "README has the quickstart-mqtt block");
    assert.ok(rd.brokerPort && rd.mqttOpt, "README names the broker port and the gateway option");
    if (!(await portFree(rd.brokerPort))) {
      st.skip(`port ${rd.brokerPort} in use on this machine: the README's broker needs it`);
      return;
    }
    fs.writeFileSync(path.join(cwd, "mosquitto.conf"),
      `listener ${rd.brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n`);
    mq = new lib.Proc("mosquitto", "mosquitto", ["-c", path.join(cwd, "mosquitto.conf")], { cwd });
    await mq.wait(/running|Opening ipv4 listen socket/, 10000);
    await dm.stopClean(daemon);
    daemon = new lib.Proc("uspbridged", "sh", ["-c", `exec ${rd.start} ${rd.mqttOpt}`], { cwd });
    await daemon.wait(/MQTT broker \d+ connected/, 10000);
    for (const cmd of rd.mqtt) {
      const r = await sh(cwd, cmd);
      assert.strictEqual(r.code, 0, `${cmd}\n${r.stdout}\n${r.stderr}`);
      const eid = cmd.match(/--agent (\S+)/)[1];
      assert.ok(eids.includes(eid), eid);
      const p = getRespParams(r.stdout);
      if (cmd.includes("Device.DeviceInfo.SoftwareVersion")) {
        assert.strictEqual(p["Device.DeviceInfo.SoftwareVersion"], "4.2.1-sim");
      }
      if (cmd.includes("Device.LocalAgent.EndpointID")) {
        assert.strictEqual(p["Device.LocalAgent.EndpointID"], eid);
      }
    }
  });

  await dm.stopClean(daemon);
  if (mq) await mq.kill();
});

// Test harness for end-to-end and interop tests: starts real peers on
// 127.0.0.1 (mosquitto, uspbridged, cwmp-sim) on free ports, each in a
// temporary directory, and stops every process it started when the test
// process ends.  Binaries come from UB_BIN_DIR (the CMake build dir).
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const BIN = process.env.UB_BIN_DIR || path.resolve(__dirname, "../../build");
const bins = {
  bridge: path.join(BIN, "bridge/uspbridged"),
  sim: path.join(BIN, "tools/cwmp-sim/cwmp-sim"),
  db: path.join(BIN, "tools/uspbridge-db/uspbridge-db"),
  ctl: path.join(BIN, "tools/usp-ctl/usp-ctl"),
};

const children = new Set();
function killAll() {
  for (const c of children) {
    try { c.kill("SIGKILL"); } catch (_) { /* gone */ }
  }
}
process.on("exit", killAll);
process.on("SIGINT", () => { killAll(); process.exit(130); });

function tmpdir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ub-${tag}-`));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// A started process whose output is kept and can be waited on.
class Proc {
  constructor(name, cmd, args, opts = {}) {
    this.name = name;
    this.out = "";
    this.lines = [];
    this.exited = null;
    this.waiters = [];
    this.child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    children.add(this.child);
    const feed = (buf) => {
      const s = buf.toString();
      this.out += s;
      if (this.out.length > 8 << 20) this.out = this.out.slice(-(4 << 20));
      if (process.env.UB_TEST_VERBOSE) process.stderr.write(`[${name}] ${s}`);
      this.check();
    };
    this.child.stdout.on("data", feed);
    this.child.stderr.on("data", feed);
    this.closed = new Promise((r) => this.child.once("close", r));
    this.child.on("exit", (code, sig) => {
      this.exited = { code, sig };
      children.delete(this.child);
      this.check();
    });
  }
  check() {
    this.waiters = this.waiters.filter((w) => {
      const m = this.out.slice(w.from).match(w.re);
      if (m) { clearTimeout(w.t); w.resolve(m); return false; }
      if (this.exited && !w.allowExit) {
        clearTimeout(w.t);
        w.reject(new Error(`${this.name} exited (${JSON.stringify(this.exited)}) ` +
          `before /${w.re.source}/; output tail:\n${this.out.slice(-3000)}`));
        return false;
      }
      return true;
    });
  }
  // Resolves with the match of re in the output produced after 'from'
  // (default: everything so far).
  wait(re, timeoutMs = 20000, from = 0) {
    return new Promise((resolve, reject) => {
      const w = { re, resolve, reject, from };
      w.t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timeout waiting for /${re.source}/ in ${this.name}; ` +
          `output tail:\n${this.out.slice(-3000)}`));
      }, timeoutMs);
      this.waiters.push(w);
      this.check();
    });
  }
  mark() { return this.out.length; }
  // Sanitizer reports (ASan/UBSan/LSan builds) in the output so far.
  sanitizerReport() {
    const m = this.out.match(/ERROR: (?:Address|Leak)Sanitizer|runtime error:/);
    return m ? this.out.slice(Math.max(0, m.index - 200), m.index + 4000) : null;
  }
  assertClean() {
    const r = this.sanitizerReport();
    if (r) throw new Error(`${this.name} printed a sanitizer report:\n${r}`);
  }
  // Stops the process; rejects if it printed a sanitizer report.
  async kill(sig = "SIGTERM") {
    let res = this.exited;
    if (!res) {
      res = await new Promise((resolve) => {
        this.child.once("exit", (code, s) => resolve({ code, sig: s }));
        this.child.kill(sig);
      });
    }
    await Promise.race([this.closed, sleep(2000)]);
    this.assertClean();
    return res;
  }
}

async function startMosquitto() {
  const dir = tmpdir("mqtt");
  const port = await freePort();
  const conf = path.join(dir, "mosquitto.conf");
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n` +
    `persistence false\nlog_dest stderr\n`);
  const p = new Proc("mosquitto", "mosquitto", ["-c", conf]);
  await p.wait(/running|Opening ipv4 listen socket/, 10000);
  return { proc: p, port, dir };
}

// ini: { section: { key: value } } merged over a test default.
async function startBridge(ini = {}, { dir = null, extraArgs = [] } = {}) {
  dir = dir || tmpdir("bridge");
  const base = {
    general: { data_dir: path.join(dir, "data"), log_level: "info" },
    cwmp: { listen: "127.0.0.1", port: 0, username: "cpe", password: "cpe",
            cr_min_interval: 0 },
    usp: { ws_listen: "127.0.0.1", ws_port: 0,
           controllers: "self::usp-ctl,self::usp-js" },
  };
  for (const [s, kv] of Object.entries(ini)) base[s] = { ...(base[s] || {}), ...kv };
  let text = "";
  for (const [s, kv] of Object.entries(base)) {
    text += `[${s}]\n`;
    for (const [k, v] of Object.entries(kv)) text += `${k} = ${v}\n`;
  }
  const conf = path.join(dir, "uspbridged.conf");
  fs.writeFileSync(conf, text);
  const p = new Proc("uspbridged", bins.bridge, ["--config", conf, ...extraArgs]);
  const m = await p.wait(/ACS endpoint listening on (https?):\/\/127\.0\.0\.1:(\d+)(\S*)/);
  const res = { proc: p, dir, conf, db: path.join(dir, "data", "db"),
                acsUrl: `${m[1]}://127.0.0.1:${m[2]}${m[3]}` };
  if (base.usp.ws_port !== -1 && String(base.usp.ws_port) !== "-1") {
    const w = await p.wait(/USP WebSocket MTP on ws:\/\/127\.0\.0\.1:(\d+)(\S*)/);
    res.wsPort = Number(w[1]);
    res.wsPrefix = w[2].replace("<endpoint-id>", "");
  }
  return res;
}

// A simulated CPE fleet (--json events on stdout).
function startSim(acsUrl, args = []) {
  const p = new Proc("cwmp-sim", bins.sim,
    ["--acs", acsUrl, "--username", "cpe", "--password", "cpe", "--json", ...args]);
  p.events = () => p.out.split("\n").filter((l) => l.startsWith("{"))
    .map((l) => { try { return JSON.parse(l); } catch (_) { return null; } })
    .filter(Boolean);
  return p;
}

// Runs a tool to completion; resolves { code, stdout, stderr }.
function run(cmd, args, { timeoutMs = 30000, input = null } = {}) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    children.add(c);
    let stdout = "", stderr = "";
    c.stdout.on("data", (d) => { stdout += d; });
    c.stderr.on("data", (d) => { stderr += d; });
    const t = setTimeout(() => { c.kill("SIGKILL"); reject(new Error(`${cmd} timed out: ${stderr}`)); }, timeoutMs);
    // 'close', not 'exit': 'exit' can fire before stdout/stderr are drained
    c.on("close", (code) => { clearTimeout(t); children.delete(c); resolve({ code, stdout, stderr }); });
    if (input !== null) c.stdin.end(input); else c.stdin.end();
  });
}

// usp-js over the USP WebSocket MTP: a custom connectClient on 'ws'
// (usp-js's own "ws" protocol means MQTT over WebSocket).  All incoming
// records are also kept in conn.raw for tests that need to see them.
function uspOverWs({ wsPort, wsPrefix, toId, fromId }) {
  const WebSocket = require("ws");
  const build = require("usp-js").build;
  const { loadProtobuf } = require("usp-js/node/configurations/mqtt");
  const raw = [];
  const connectClient = () => new Promise((resolve, reject) => {
    const url = `ws://127.0.0.1:${wsPort}${wsPrefix}${encodeURIComponent(toId)}` +
      `?eid=${encodeURIComponent(fromId)}`;
    const ws = new WebSocket(url, "v1.usp");
    ws.binaryType = "nodebuffer";
    ws.once("error", reject);
    ws.once("open", () => resolve({
      on: (key, fn) => {
        if (key === "message") ws.on("message", (data) => { raw.push(data); fn(toId, data); });
        else if (key === "error") ws.on("error", (e) => fn(e));
        else if (key === "close") ws.on("close", () => fn());
      },
      subscribe: () => null,
      unsubscribe: () => null,
      publish: (_endpoint, msg) => ws.send(msg),
      end: () => ws.close(),
    }));
  });
  const connect = build({ connectClient, decodeID: (d) => String(d), loadProtobuf });
  return connect({ host: "127.0.0.1", port: wsPort, toId, fromId }).then((usp) => {
    usp.raw = raw;
    return usp;
  });
}

module.exports = { bins, tmpdir, freePort, sleep, Proc, startMosquitto,
                   startBridge, startSim, run, uspOverWs };

// ---- helpers for tests that look at whole USP messages ----

// Parses protobuf text format (usp-ctl's output) into nested objects in
// which every field is an array of values (repeated or not):
// parsePbText(out).body[0].response[0].get_resp[0]...
function parsePbText(text) {
  const root = {};
  const stack = [root];
  const re = /\s*(?:([A-Za-z_][\w]*)\s*(?::\s*("(?:[^"\\]|\\.)*"|[^\s{}]+)|\s*\{)|(\}))/y;
  let pos = 0;
  text = text.trim();
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`pb text: cannot parse at ${pos}: ${text.slice(pos, pos + 60)}`);
    pos = re.lastIndex;
    const cur = stack[stack.length - 1];
    if (m[3]) { stack.pop(); continue; }
    const key = m[1];
    (cur[key] = cur[key] || []);
    if (m[2] === undefined) {
      const o = {};
      cur[key].push(o);
      stack.push(o);
    } else if (m[2].startsWith("\"")) {
      cur[key].push(pbUnescape(m[2].slice(1, -1)));
    } else {
      cur[key].push(/^-?\d+$/.test(m[2]) ? Number(m[2]) : m[2]);
    }
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  }
  if (stack.length !== 1) throw new Error("pb text: unbalanced braces");
  return root;
}

// C-style escapes of protobuf text format (octal bytes are UTF-8).
function pbUnescape(s) {
  const bytes = [];
  const simple = { n: 10, r: 13, t: 9, "\"": 34, "'": 39, "\\": 92 };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") { bytes.push(...Buffer.from(s[i])); continue; }
    const c = s[++i];
    if (/[0-7]/.test(c)) {
      const o = s.slice(i, i + 3).match(/^[0-7]{1,3}/)[0];
      bytes.push(parseInt(o, 8));
      i += o.length - 1;
    } else if (c === "x") {
      const h = s.slice(i + 1, i + 3).match(/^[0-9a-fA-F]{1,2}/)[0];
      bytes.push(parseInt(h, 16));
      i += h.length;
    } else {
      bytes.push(simple[c] !== undefined ? simple[c] : c.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

// Decodes a USP Record (bytes) and its Msg with usp-js's own protobuf
// definitions: { record, msg } as plain objects (camelCase, enums as names).
function decodeUspRecord(buf, version = "1.3") {
  const pb = require("protobufjs");
  const { jsonRoots } = require("usp-js/node/configurations/util");
  const [recJson, msgJson] = jsonRoots[version];
  const R = pb.Root.fromJSON(recJson).lookupType("usp_record.Record");
  const M = pb.Root.fromJSON(msgJson).lookupType("usp.Msg");
  const opts = { enums: String, longs: String, bytes: Buffer, defaults: false };
  const rec = R.decode(buf);
  const record = R.toObject(rec, opts);
  const payload = rec.noSessionContext && rec.noSessionContext.payload;
  const msg = payload ? M.toObject(M.decode(payload), opts) : null;
  return { record, msg };
}

Object.assign(module.exports, { parsePbText, decodeUspRecord });

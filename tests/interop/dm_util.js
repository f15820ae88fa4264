// Helpers for the sync / durability tests: the cwmp-sim control channel,
// the cwmp-sim model file, `uspbridge-db dump` output, and the data-model
// order the cache must keep (segment-wise, parameters before sub-objects,
// instance numbers numerically).
"use strict";

const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const lib = require("./lib");

const MODELS = path.resolve(__dirname, "../../tools/cwmp-sim/models");

// One connection to `cwmp-sim --control`: cmd(line) resolves with the reply
// line ("ok ..." / "err ...").
class SimControl {
  constructor(port) { this.port = port; this.buf = ""; this.waiters = []; }
  open() {
    return new Promise((resolve, reject) => {
      this.sock = net.connect(this.port, "127.0.0.1", resolve);
      this.sock.once("error", reject);
      this.sock.on("data", (d) => {
        this.buf += d.toString();
        let i;
        while ((i = this.buf.indexOf("\n")) >= 0) {
          const line = this.buf.slice(0, i);
          this.buf = this.buf.slice(i + 1);
          const w = this.waiters.shift();
          if (w) w(line);
        }
      });
    });
  }
  cmd(line) {
    return new Promise((resolve) => { this.waiters.push(resolve); this.sock.write(line + "\n"); });
  }
  async ok(line) {
    const r = await this.cmd(line);
    if (!r.startsWith("ok")) throw new Error(`sim control '${line}': ${r}`);
    return r.slice(2).trim();
  }
  close() { if (this.sock) this.sock.destroy(); }
}

// Starts cwmp-sim with --control 0 and connects to its control channel.
async function startSimCtl(acsUrl, args) {
  const sim = lib.startSim(acsUrl, ["--control", "0", ...args]);
  const m = await sim.wait(/"ev":"control_listen","port":(\d+)/, 10000);
  sim.ctl = new SimControl(Number(m[1]));
  await sim.ctl.open();
  const stop = sim.kill.bind(sim);
  sim.kill = (sig) => { sim.ctl.close(); return stop(sig); };
  return sim;
}

// Model file -> Map(path -> {type, access, flags, value}) of the nodes a
// fresh device has (templates with {i} left out).  type: "object" for
// objects and tables; access "rw"/"ro".
function loadModel(file) {
  const m = new Map();
  const text = fs.readFileSync(file, "utf8");
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const f = line.split("\t");
    const p = f[0];
    if (p.includes("{i}")) continue;
    m.set(p, {
      type: f[1] === "table" ? "object" : f[1],
      table: f[1] === "table",
      access: f[2] === "W" ? "rw" : "ro",
      flags: f[3],
      value: f.slice(4).join("\t"),
    });
  }
  return m;
}

// The rows of a template T.{i}. as AddObject creates instance n: path ->
// {type, access, value}.  Nested tables are created empty.
function templateRows(file, table, n) {
  const rows = new Map();
  // the template of T.1.Sub. is T.{i}.Sub.{i}.
  const tpl = table.replace(/\.\d+\./g, ".{i}.").replace(/\.\d+\./g, ".{i}.") + "{i}.";
  const text = fs.readFileSync(file, "utf8");
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const f = line.split("\t");
    if (!f[0].startsWith(tpl)) continue;
    const rest = f[0].slice(tpl.length);
    if (rest.includes("{i}")) continue; // nested template: table left empty
    rows.set(`${table}${n}.${rest}`, {
      type: f[1] === "table" ? "object" : f[1],
      access: f[2] === "W" ? "rw" : "ro",
      value: f.slice(4).join("\t"),
    });
  }
  return rows;
}

// Runs a tool to completion; resolves { code, stdout, stderr } once its
// output is fully read ('close', not 'exit': lib.run resolves on 'exit',
// when the last stdout chunks may still be in the pipe, so under load it
// returned empty or cut output with code 0).
function run(cmd, args, { timeoutMs = 30000 } = {}) {
  const { spawn } = require("node:child_process");
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    c.stdout.on("data", (d) => { stdout += d; });
    c.stderr.on("data", (d) => { stderr += d; });
    const t = setTimeout(() => { c.kill("SIGKILL"); reject(new Error(`${cmd} timed out: ${stderr}`)); },
                         timeoutMs);
    c.on("error", (e) => { clearTimeout(t); reject(e); });
    c.on("close", (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

// `uspbridge-db dump` -> array of {path, type, access, notif, value, age},
// in output order.
function parseDump(text) {
  const rows = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const f = line.split("\t");
    if (f.length < 6) throw new Error(`bad dump line: ${JSON.stringify(line)}`);
    rows.push({ path: f[0], type: f[1], access: f[2], notif: f[3],
                value: f.slice(4, -1).join("\t"), age: f[f.length - 1] });
  }
  return rows;
}

async function dump(db, eid, prefix) {
  const r = await run(lib.bins.db, ["--db", db, "dump", eid, ...(prefix ? [prefix] : [])]);
  if (r.code !== 0) throw new Error(`uspbridge-db dump ${eid}: ${r.code} ${r.stderr}`);
  return parseDump(r.stdout);
}

// `uspbridge-db show` -> { field: value } (registry fields, "key: value").
async function show(db, eid) {
  const r = await run(lib.bins.db, ["--db", db, "show", eid]);
  if (r.code !== 0) throw new Error(`uspbridge-db show ${eid}: ${r.code} ${r.stderr}`);
  const o = { _text: r.stdout };
  for (const line of r.stdout.split("\n")) {
    const m = line.match(/^([a-z_]+):\s*(.*)$/);
    if (m && !(m[1] in o)) o[m[1]] = m[2];
  }
  return o;
}

// `uspbridge-db list` -> [{id, eid, cwmp, last, sync, params}]
async function list(db) {
  const r = await run(lib.bins.db, ["--db", db, "list"]);
  if (r.code !== 0) throw new Error(`uspbridge-db list: ${r.code} ${r.stderr}`);
  return r.stdout.split("\n").slice(1).filter(Boolean).map((l) => {
    const f = l.trim().split(/\s+/);
    return { id: f[0], eid: f[1], cwmp: f[2], last: f[3], sync: f[4], params: Number(f[5]) };
  });
}

// Data-model order: segment by segment; at one level parameters come
// before sub-objects; numeric segments (instances) compare numerically;
// an object comes before everything below it.
function dmCompare(a, b) {
  const sa = a.split("."), sb = b.split(".");
  // "X.Y." splits to [..., ""]: drop the empty tail, remember it was an object
  const oa = a.endsWith("."), ob = b.endsWith(".");
  if (oa) sa.pop();
  if (ob) sb.pop();
  const n = Math.min(sa.length, sb.length);
  for (let i = 0; i < n; i++) {
    if (sa[i] === sb[i]) continue;
    const pa = i === sa.length - 1 && !oa; // a's segment i is a parameter
    const pb = i === sb.length - 1 && !ob;
    if (pa !== pb) return pa ? -1 : 1;
    const na = /^\d+$/.test(sa[i]), nb = /^\d+$/.test(sb[i]);
    if (na && nb) return Number(sa[i]) - Number(sb[i]);
    return sa[i] < sb[i] ? -1 : 1;
  }
  return sa.length - sb.length;
}

// Stops a daemon with SIGTERM and checks that it exits 0 without a
// sanitizer report (ASan/UBSan/LSan builds print them on stderr).
async function stopClean(proc) {
  const ex = await proc.kill("SIGTERM");
  const rep = proc.out.match(/(ERROR: (Address|Leak)Sanitizer[^\n]*|runtime error:[^\n]*)/);
  if (rep) throw new Error(`${proc.name}: sanitizer report: ${rep[1]}\n${proc.out.slice(-4000)}`);
  if (ex.code !== 0) throw new Error(`${proc.name} exit ${JSON.stringify(ex)}\n${proc.out.slice(-2000)}`);
}

module.exports = { run, stopClean, MODELS, SimControl, startSimCtl, loadModel, templateRows,
                   parseDump, dump, show, list, dmCompare };

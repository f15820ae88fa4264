// uspbridged's ACS endpoint over HTTPS: a CPE that verifies the bridge's
// certificate boots and is synced; with [cwmp] tls_client_ca set, a CPE
// without a client certificate is refused and one with a certificate
// signed by that CA gets in.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const path = require("node:path");
const fs = require("node:fs");
const { execFileSync } = require("node:child_process");
const lib = require("./lib");

function openssl(args, cwd) {
  execFileSync("openssl", args, { cwd, stdio: "ignore" });
}

test("CWMP over HTTPS, with and without client certificates", async (t) => {
  const dir = lib.tmpdir("tls");
  // a CA, the bridge's certificate (IP SAN 127.0.0.1) and a CPE certificate
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca"], dir);
  for (const [name, subj, san] of [["acs", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1"],
                                    ["cpe", "/CN=ACDE48-TLS000001", "subjectAltName=DNS:cpe"]]) {
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subj], dir);
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${san}\n`);
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", `${name}.pem`, "-days", "2",
             "-extfile", `${name}.ext`], dir);
  }
  const f = (n) => path.join(dir, n);

  await t.test("server certificate verified by the CPE, Digest SHA-256", async () => {
    const br = await lib.startBridge({
      cwmp: { tls_cert: f("acs.pem"), tls_key: f("acs.key"), digest_algorithm: "sha256" },
    });
    try {
      assert.match(br.acsUrl, /^https:/);
      const sim = lib.startSim(br.acsUrl, ["--count", "1", "--serial-prefix", "TLS", "--once",
                                           "--cacert", f("ca.pem"), "--auth", "digest"]);
      await sim.wait(/"sessions_ok":1/, 30000);
      await br.proc.wait(/TLS000001: sync complete/, 30000);
      // a CPE that does not trust the bridge's CA never gets a session
      const bad = lib.startSim(br.acsUrl, ["--count", "1", "--serial-prefix", "BAD", "--once"]);
      await bad.wait(/"sessions_failed":1/, 30000);
      assert.doesNotMatch(br.proc.out, /BAD000001/);
    } finally {
      await br.proc.kill();
    }
  });

  await t.test("client certificate required by tls_client_ca", async () => {
    const br = await lib.startBridge({
      cwmp: { tls_cert: f("acs.pem"), tls_key: f("acs.key"), tls_client_ca: f("ca.pem") },
    });
    try {
      const nocert = lib.startSim(br.acsUrl, ["--count", "1", "--serial-prefix", "NOC", "--once",
                                              "--cacert", f("ca.pem")]);
      await nocert.wait(/"sessions_failed":1/, 30000);
      assert.doesNotMatch(br.proc.out, /NOC000001/);
      const withcert = lib.startSim(br.acsUrl, ["--count", "1", "--serial-prefix", "TLS", "--once",
                                                "--cacert", f("ca.pem"), "--cert", f("cpe.pem"),
                                                "--key", f("cpe.key")]);
      await withcert.wait(/"sessions_ok":1/, 30000);
      await br.proc.wait(/TLS000001: sync complete/, 30000);
    } finally {
      await br.proc.kill();
    }
  });
});

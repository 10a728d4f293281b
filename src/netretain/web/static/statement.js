// Verifies a customer statement in the browser, with no server call: the head's and the statement's
// Ed25519 signatures and every leaf's RFC 9162 inclusion proof (WebCrypto SHA-256 and Ed25519),
// then shows what it verified. Served as a file on the portal (the CSP allows no inline script)
// and inlined into `netretain statement --html` files. It does no arithmetic on money: amounts are
// shown as the statement's decimal strings.
"use strict";

const NetretainStatement = (() => {
  const HEAD_DOMAIN = "netretain tree head v1";
  const STATEMENT_DOMAIN = "netretain customer statement v1";
  const utf8 = new TextEncoder();

  const hex = (bytes) =>
    Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

  function unhex(text) {
    if (typeof text !== "string" || !/^([0-9a-f]{2})*$/.test(text)) {
      throw new Error(`${JSON.stringify(text)} is not hex`);
    }
    return Uint8Array.from(text.match(/../g) || [], (b) => parseInt(b, 16));
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));

  // netretain's canonical JSON: keys sorted by UTF-16 code units (JavaScript's own string order),
  // no whitespace, JSON.stringify's string escapes (the same as Python's with ensure_ascii off).
  function canonical(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string") {
      return JSON.stringify(value);
    }
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) throw new Error(`${value} is not a whole number`);
      return String(value);
    }
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }

  async function signatureOk(key, signatureHex, domain, body) {
    const message = concat(utf8.encode(domain), [0], utf8.encode(canonical(body)));
    return crypto.subtle.verify({ name: "Ed25519" }, key, unhex(signatureHex), message);
  }

  // RFC 9162 §2.1.3.2, with BigInt so that logs past 2^31 leaves shift correctly.
  async function included(leafHash, index, size, proof, root) {
    let fn = BigInt(index);
    let sn = BigInt(size) - 1n;
    let r = leafHash;
    if (fn < 0n || fn > sn) return false;
    for (const p of proof) {
      if (sn === 0n) return false;
      if (fn & 1n || fn === sn) {
        r = await sha256(concat([1], p, r));
        while (!(fn & 1n) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        r = await sha256(concat([1], r, p));
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n && hex(r) === hex(root);
  }

  // The statement and its verdict: {ok, reason, keyId, leaves: [{index, record, ok}]}.
  async function verify(statement, publicKeyHex) {
    const raw = unhex(publicKeyHex);
    const keyId = hex(await sha256(raw));
    const fail = (reason, leaves = []) => ({ ok: false, reason, keyId, leaves });
    if (statement.v !== 1) return fail(`unknown statement version ${statement.v}`);
    const signed = statement.head;
    if (signed.key_id !== keyId || statement.key_id !== keyId) {
      return fail(`signed by key ${String(signed.key_id).slice(0, 16)}…, not key ${keyId.slice(0, 16)}…`);
    }
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    const head = signed.head;
    if (!(await signatureOk(key, signed.signature, HEAD_DOMAIN, head))) {
      return fail(`bad signature on the head of size ${head.size}`);
    }
    const root = unhex(head.root);
    const leaves = [];
    let reason = "";
    for (const leaf of statement.leaves) {
      const hash = await sha256(concat([0], utf8.encode(leaf.data)));
      const ok = await included(hash, leaf.index, head.size, leaf.proof.map(unhex), root);
      const record = JSON.parse(leaf.data);
      const owner = (record.row || {}).customer_id;
      const mine = owner === undefined || owner === statement.customer_id;
      leaves.push({ index: leaf.index, record, ok: ok && mine });
      if (!reason && !ok) reason = `fact ${leaf.index} is not in the signed log of ${head.size} entries`;
      if (!reason && !mine) reason = `fact ${leaf.index} belongs to ${owner}, not ${statement.customer_id}`;
    }
    if (reason) return fail(reason, leaves);
    const body = Object.fromEntries(
      Object.entries(statement).filter(([k]) => k !== "key_id" && k !== "signature"),
    );
    if (!(await signatureOk(key, statement.signature, STATEMENT_DOMAIN, body))) {
      return fail("bad signature: the statement's history or customer changed", leaves);
    }
    return { ok: true, reason: "", keyId, leaves };
  }

  // ---- showing it ------------------------------------------------------------------------------

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    for (const child of children) node.append(child);
    return node;
  }

  function table(id, rows, columns) {
    const head = element("tr", {}, ...columns.map((c) => element("th", {}, c)));
    const body = rows.map((row) =>
      element(
        "tr",
        {},
        ...columns.map((c) => {
          const value = row[c];
          const text = value === null || value === undefined ? "" : String(value);
          return element("td", { "data-col": c }, text);
        }),
      ),
    );
    return element("table", { id }, element("thead", {}, head), element("tbody", {}, ...body));
  }

  const isUsage = (r) => r.kind === "usage" || (r.kind === "invoice_lines" && (r.row || {}).type === "usage");
  const SECTIONS = [
    ["facts-revenue", "Revenue lines", (r) => ["subscriptions", "invoice_lines"].includes(r.kind) && !isUsage(r)],
    ["facts-usage", "Usage", isUsage],
    ["facts-mrr", "MRR as reported", (r) => r.kind === "mrr"],
    ["facts-customer", "Account", (r) => r.kind === "customers"],
  ];
  const HISTORY = ["month", "mrr", "new", "expansion", "reactivation", "contraction", "churn"];

  function factRows(leaves, keep) {
    return leaves
      .filter((l) => keep(l.record))
      .map((l) => ({
        fact: l.index,
        proof: l.ok ? "✓ in the log" : "✗ NOT in the log",
        correction: l.record.corrects ? `corrects fact ${l.record.corrects.index}` : "",
        ...(l.record.row || { withdrawn: "yes" }),
      }));
  }

  function columnsOf(rows) {
    const seen = [];
    for (const row of rows) for (const k of Object.keys(row)) if (!seen.includes(k)) seen.push(k);
    return seen.filter((k) => k !== "customer_id");
  }

  function show(root, statement, verdict) {
    const head = statement.head.head;
    const banner = root.querySelector("#verification");
    banner.dataset.state = verdict.ok ? "verified" : "failed";
    banner.className = verdict.ok ? "verified" : "failed";
    banner.textContent = verdict.ok
      ? `✓ Verified in your browser: all ${statement.leaves.length} facts are in netretain's signed ` +
        `log of ${head.size} entries (head of ${head.time}), and the history is signed by the same key.`
      : `✗ Verification FAILED in your browser: ${verdict.reason}. Do not rely on these figures.`;
    root.querySelector("#key-id").textContent = verdict.keyId;
    root.querySelector("#head-root").textContent = head.root;
    root.querySelector("#head-size").textContent = String(head.size);
    root.querySelector("#head-time").textContent = head.time;
    root.querySelector("#customer-id").textContent = statement.customer_id;
    root.querySelector("#currency").textContent = statement.currency;
    const history = root.querySelector("#history");
    history.replaceChildren(table("history-table", statement.history, HISTORY));
    const facts = root.querySelector("#facts");
    facts.replaceChildren();
    for (const [id, title, keep] of SECTIONS) {
      const rows = factRows(verdict.leaves, keep);
      if (!rows.length) continue;
      facts.append(element("h3", {}, title), table(id, rows, columnsOf(rows)));
    }
  }

  async function run() {
    const source = document.getElementById("statement-data");
    if (!source) return;
    const { statement, public_key: publicKey } = JSON.parse(source.textContent);
    let verdict;
    try {
      verdict = await verify(statement, publicKey);
    } catch (e) {
      verdict = { ok: false, reason: `the statement is malformed (${e.message})`, keyId: "", leaves: [] };
    }
    try {
      show(document, statement, verdict);
    } catch (e) {
      const banner = document.getElementById("verification");
      banner.dataset.state = "failed";
      banner.className = "failed";
      banner.textContent = `✗ Verification FAILED in your browser: the statement is malformed (${e.message}).`;
    }
  }

  if (typeof document !== "undefined") document.addEventListener("DOMContentLoaded", run);
  return { canonical, verify, included };
})();

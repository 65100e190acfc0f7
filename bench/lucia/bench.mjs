// Reference benchmark: Lucia v2 sessions on Node with better-sqlite3 (SPEC §7).
//
// Measures, in one process with a sequential await loop (like bench/bench_session.c):
//   create   auth.createSession()                     ops/s
//   validate auth.validateSession() on active sessions ops/s
//   get      auth.getSession() on active sessions      ops/s
//   revoke   auth.invalidateSession()                  ops/s
//   signin   auth.useKey() (scrypt) + createSession()  ms, split into hash time and the rest
//
// Usage: node bench.mjs [--dir DIR] [--n N] [--signin-n N] [--warmup N]
//                       [--sync off|normal|full] [--journal wal|delete|truncate|memory]
//                       [--keep] [DIR]
// Environment: LUCIA_BENCH_SYNC, LUCIA_BENCH_JOURNAL, LUCIA_BENCH_N, LUCIA_BENCH_SIGNIN_N,
//              LUCIA_BENCH_WARMUP (flags win).
// Output: one JSON object per metric on stdout; settings and a human table on stderr.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { lucia } from "lucia";
import { node } from "lucia/middleware";
import { generateLuciaPasswordHash, validateLuciaPasswordHash } from "lucia/utils";
import { betterSqlite3 } from "@lucia-auth/adapter-sqlite";
import Database from "better-sqlite3";

const require = createRequire(import.meta.url);

function usage(code) {
	process.stderr.write(
		"usage: node bench.mjs [--dir DIR] [--n N] [--signin-n N] [--warmup N]\n" +
			"                      [--sync off|normal|full] [--journal wal|delete|truncate|memory]\n" +
			"                      [--keep] [DIR]\n"
	);
	process.exit(code);
}

function parseArgs(argv) {
	const env = process.env;
	const opt = {
		dir: null,
		n: Number(env.LUCIA_BENCH_N ?? 20000),
		signinN: Number(env.LUCIA_BENCH_SIGNIN_N ?? 20),
		warmup: env.LUCIA_BENCH_WARMUP === undefined ? null : Number(env.LUCIA_BENCH_WARMUP),
		sync: (env.LUCIA_BENCH_SYNC ?? "normal").toLowerCase(),
		journal: (env.LUCIA_BENCH_JOURNAL ?? "wal").toLowerCase(),
		keep: false
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const [flag, inline] = a.startsWith("--") && a.includes("=") ? a.split(/=(.*)/s, 2) : [a, undefined];
		const value = () => {
			if (inline !== undefined) return inline;
			if (i + 1 >= argv.length) usage(2);
			return argv[++i];
		};
		switch (flag) {
			case "--dir": opt.dir = value(); break;
			case "--n": opt.n = Number(value()); break;
			case "--signin-n": opt.signinN = Number(value()); break;
			case "--warmup": opt.warmup = Number(value()); break;
			case "--sync": opt.sync = value().toLowerCase(); break;
			case "--journal": opt.journal = value().toLowerCase(); break;
			case "--keep": opt.keep = true; break;
			case "-h": case "--help": usage(0); break;
			default:
				if (a.startsWith("-") || opt.dir !== null) usage(2);
				opt.dir = a;
		}
	}
	if (!["off", "normal", "full"].includes(opt.sync)) usage(2);
	if (!["wal", "delete", "truncate", "memory"].includes(opt.journal)) usage(2);
	if (!Number.isInteger(opt.n) || opt.n < 1) usage(2);
	if (!Number.isInteger(opt.signinN) || opt.signinN < 0) usage(2);
	if (opt.warmup === null) opt.warmup = Math.min(2000, Math.max(100, Math.floor(opt.n / 10)));
	if (!Number.isInteger(opt.warmup) || opt.warmup < 0) usage(2);
	return opt;
}

// Installed version of a dependency (its package.json is not always in its "exports").
function version(pkg) {
	try {
		let dir = path.dirname(require.resolve(pkg));
		for (;;) {
			const file = path.join(dir, "package.json");
			if (existsSync(file)) {
				const json = JSON.parse(readFileSync(file, "utf8"));
				if (json.name === pkg) return json.version;
			}
			const up = path.dirname(dir);
			if (up === dir) return "unknown";
			dir = up;
		}
	} catch {
		return "unknown";
	}
}

// Deterministic shuffle so validate/get/revoke do not just walk the B-tree in insertion order.
function shuffled(arr, seed = 0x9e3779b9) {
	const out = arr.slice();
	let s = seed >>> 0;
	for (let i = out.length - 1; i > 0; i--) {
		s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
		const j = s % (i + 1);
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

const opt = parseArgs(process.argv.slice(2));
const tmp = mkdtempSync(path.join(opt.dir ?? os.tmpdir(), "lucia-bench-"));
const dbPath = path.join(tmp, "lucia.db");
const db = new Database(dbPath);

let exitCode = 0;
try {
	const journal = String(db.pragma(`journal_mode = ${opt.journal.toUpperCase()}`, { simple: true })).toLowerCase();
	db.pragma(`synchronous = ${opt.sync.toUpperCase()}`);
	const syncNames = ["off", "normal", "full", "extra"];
	const sync = syncNames[db.pragma("synchronous", { simple: true })] ?? "unknown";
	const foreignKeys = db.pragma("foreign_keys", { simple: true }) ? "on" : "off";
	if (journal !== opt.journal || sync !== opt.sync) {
		throw new Error(`SQLite refused settings: journal_mode=${journal} synchronous=${sync}`);
	}

	// Lucia v2 SQLite schema (docs: database-adapters/better-sqlite3), user table with the
	// `username` attribute used by the Lucia v2 guides and the convex-lucia-auth template.
	db.exec(`
		CREATE TABLE user (
			id TEXT NOT NULL PRIMARY KEY,
			username TEXT NOT NULL UNIQUE
		);
		CREATE TABLE user_key (
			id TEXT NOT NULL PRIMARY KEY,
			user_id TEXT NOT NULL,
			hashed_password TEXT,
			FOREIGN KEY (user_id) REFERENCES user(id)
		);
		CREATE TABLE user_session (
			id TEXT NOT NULL PRIMARY KEY,
			user_id TEXT NOT NULL,
			active_expires INTEGER NOT NULL,
			idle_expires INTEGER NOT NULL,
			FOREIGN KEY (user_id) REFERENCES user(id)
		);
	`);

	// Lucia's own scrypt hashing (its default), wrapped only to time the verification inside useKey.
	let hashMs = 0;
	const auth = lucia({
		adapter: betterSqlite3(db, { user: "user", key: "user_key", session: "user_session" }),
		env: "DEV",
		middleware: node(),
		getUserAttributes: (data) => ({ username: data.username }),
		passwordHash: {
			generate: generateLuciaPasswordHash,
			validate: async (password, hash) => {
				const t0 = performance.now();
				try {
					return await validateLuciaPasswordHash(password, hash);
				} finally {
					hashMs += performance.now() - t0;
				}
			}
		}
	});

	const password = "correct horse battery staple";
	const user = await auth.createUser({
		key: { providerId: "username", providerUserId: "alice", password },
		attributes: { username: "alice" }
	});
	const userId = user.userId;

	const meta = {
		impl: "lucia-v2-node",
		sync,
		journal,
		foreign_keys: foreignKeys,
		node: process.versions.node,
		lucia: version("lucia"),
		adapter: version("@lucia-auth/adapter-sqlite"),
		better_sqlite3: version("better-sqlite3"),
		sqlite: db.prepare("SELECT sqlite_version() AS v").get().v
	};

	process.stderr.write(
		`lucia-v2-node: lucia ${meta.lucia}, @lucia-auth/adapter-sqlite ${meta.adapter}, ` +
			`better-sqlite3 ${meta.better_sqlite3} (SQLite ${meta.sqlite}), node ${meta.node}\n` +
			`durability: journal_mode=${journal} synchronous=${sync} foreign_keys=${foreignKeys}; ` +
			`db ${dbPath}\n` +
			`n=${opt.n} per session op, warm-up ${opt.warmup}, sign-ins ${opt.signinN}; ` +
			`sequential awaits, one process\n`
	);

	const rows = [];
	const emit = (row) => {
		const out = { ...row, ...meta };
		rows.push(out);
		process.stdout.write(JSON.stringify(out) + "\n");
	};

	// Runs fn(i) for i in [0, n) sequentially and returns elapsed seconds.
	const timed = async (n, fn) => {
		const t0 = performance.now();
		for (let i = 0; i < n; i++) await fn(i);
		return (performance.now() - t0) / 1000;
	};
	const rate = (op, n, secs) =>
		emit({ op, ops_per_s: Math.round(n / secs), us_per_op: Number(((secs * 1e6) / n).toFixed(2)), n });

	// Warm-up: JIT, statement paths, page cache; its sessions are removed again.
	{
		const ids = [];
		await timed(opt.warmup, async () => ids.push((await auth.createSession({ userId, attributes: {} })).sessionId));
		await timed(ids.length, (i) => auth.validateSession(ids[i]));
		await timed(ids.length, (i) => auth.getSession(ids[i]));
		await timed(ids.length, (i) => auth.invalidateSession(ids[i]));
	}

	const ids = new Array(opt.n);
	rate("create", opt.n, await timed(opt.n, async (i) => {
		ids[i] = (await auth.createSession({ userId, attributes: {} })).sessionId;
	}));

	const order = shuffled(ids);
	let notActive = 0;
	rate("validate", opt.n, await timed(opt.n, async (i) => {
		const s = await auth.validateSession(order[i]);
		if (s.state !== "active" || s.fresh) notActive++;
	}));
	rate("get", opt.n, await timed(opt.n, async (i) => {
		const s = await auth.getSession(order[i]);
		if (s.state !== "active") notActive++;
	}));
	if (notActive) throw new Error(`${notActive} sessions were not active during validate/get`);

	rate("revoke", opt.n, await timed(opt.n, (i) => auth.invalidateSession(order[i])));
	const left = db.prepare("SELECT count(*) AS c FROM user_session").get().c;
	if (left !== 0) throw new Error(`${left} sessions left after revoke`);

	// Sign-in: useKey (reads the key, scrypt-verifies the password) + createSession, the Lucia v2
	// sign-in path; hash_ms is the time spent in the password verifier, other_ms the rest.
	if (opt.signinN > 0) {
		const signin = async () => {
			const key = await auth.useKey("username", "alice", password);
			return auth.createSession({ userId: key.userId, attributes: {} });
		};
		await auth.invalidateSession((await signin()).sessionId); // warm-up
		const created = [];
		hashMs = 0;
		const secs = await timed(opt.signinN, async () => created.push((await signin()).sessionId));
		for (const id of created) await auth.invalidateSession(id);
		const stored = db.prepare("SELECT hashed_password AS h FROM user_key WHERE id = ?").get("username:alice").h;
		const totalMs = (secs * 1000) / opt.signinN;
		const perHash = hashMs / opt.signinN;
		emit({
			op: "signin",
			ms_per_op: Number(totalMs.toFixed(3)),
			hash_ms: Number(perHash.toFixed(3)),
			other_ms: Number((totalMs - perHash).toFixed(3)),
			hash: stored.startsWith("s2:") ? "lucia s2 scrypt N=16384 r=16 p=1" : "lucia scrypt",
			n: opt.signinN
		});
	}

	const pad = (s, w) => String(s).padStart(w);
	let table = `\n${"op".padEnd(10)}${pad("ops/s", 12)}${pad("us/op", 12)}${pad("n", 8)}\n`;
	for (const r of rows) {
		if (r.op === "signin") {
			table += `${"signin".padEnd(10)}${pad((1000 / r.ms_per_op).toFixed(1), 12)}${pad((r.ms_per_op * 1000).toFixed(0), 12)}${pad(r.n, 8)}` +
				`   (hash ${r.hash_ms} ms + other ${r.other_ms} ms)\n`;
		} else {
			table += `${r.op.padEnd(10)}${pad(r.ops_per_s, 12)}${pad(r.us_per_op, 12)}${pad(r.n, 8)}\n`;
		}
	}
	table += `(journal_mode=${journal}, synchronous=${sync})\n`;
	process.stderr.write(table);
} catch (e) {
	process.stderr.write(`bench.mjs: ${e?.stack ?? e}\n`);
	exitCode = 1;
} finally {
	db.close();
	if (opt.keep) process.stderr.write(`kept ${tmp}\n`);
	else rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);

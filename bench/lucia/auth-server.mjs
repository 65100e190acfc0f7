// auth-server.mjs DB_DIR PORT - the reference for bench/run-daemon.sh: a
// minimal Node HTTP server doing what luciaauthd's GET /auth does, with
// Lucia v2: read the auth_session cookie, auth.validateSession() on
// better-sqlite3 (WAL, synchronous=NORMAL, as luciaauth), answer 204 with
// X-Auth-User or 401.  On start it creates one user and one session and
// prints "ready <session id>" on stdout.
import http from "node:http";
import path from "node:path";

import { lucia } from "lucia";
import { node } from "lucia/middleware";
import { betterSqlite3 } from "@lucia-auth/adapter-sqlite";
import Database from "better-sqlite3";

const [dir, port] = process.argv.slice(2);
const db = new Database(path.join(dir, "lucia.db"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec(`
	CREATE TABLE IF NOT EXISTS user (id TEXT NOT NULL PRIMARY KEY, username TEXT NOT NULL UNIQUE);
	CREATE TABLE IF NOT EXISTS user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL,
		hashed_password TEXT, FOREIGN KEY (user_id) REFERENCES user(id));
	CREATE TABLE IF NOT EXISTS user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL,
		active_expires INTEGER NOT NULL, idle_expires INTEGER NOT NULL,
		FOREIGN KEY (user_id) REFERENCES user(id));
`);
const auth = lucia({
	adapter: betterSqlite3(db, { user: "user", key: "user_key", session: "user_session" }),
	env: "DEV",
	middleware: node(),
	getUserAttributes: (data) => ({ username: data.username }),
});
const user = await auth.createUser({
	key: { providerId: "username", providerUserId: "alice", password: null },
	attributes: { username: "alice" },
});
const session = await auth.createSession({ userId: user.userId, attributes: {} });

function cookie(req) {
	const m = /(?:^|;\s*)auth_session=([^;]*)/.exec(req.headers.cookie ?? "");
	return m ? m[1] : null;
}

const server = http.createServer(async (req, res) => {
	if (req.method !== "GET" || req.url !== "/auth") {
		res.writeHead(404).end();
		return;
	}
	const id = cookie(req);
	try {
		if (!id) throw new Error("no cookie");
		const s = await auth.validateSession(id);
		res.writeHead(204, { "X-Auth-User": s.user.username }).end();
	} catch {
		res.writeHead(401).end();
	}
});
server.keepAliveTimeout = 60000;
server.listen(Number(port), "127.0.0.1", () => {
	process.stdout.write(`ready ${session.sessionId}\n`);
});
const stop = () => server.close(() => { db.close(); process.exit(0); });
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

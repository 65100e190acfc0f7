// browser.mjs URL OUTDIR - drive luciaauthd's sign-in page in headless
// Chromium (the Debian package, through playwright-core: no browser
// download) like a person would, and take a screenshot of each state.
//
// Prints one line per check: "PASS <what>" or "FAIL <what>: <why>";
// tests/test_daemon_browser.sh turns them into TAP.  Exit status 0 unless
// the browser could not be driven at all.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const [base, outDir] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const profile = mkdtempSync(path.join(os.tmpdir(), "luciaauthd-chromium-"));
const T = 15000;

let failed = 0;
const pass = (what) => console.log(`PASS ${what}`);
const fail = (what, why) => { failed++; console.log(`FAIL ${what}: ${String(why).split("\n")[0]}`); };
async function step(what, fn) {
	try {
		const r = await fn();
		if (r === false) fail(what, "condition not met");
		else pass(what);
	} catch (e) {
		fail(what, e?.message ?? e);
	}
}

const context = await chromium.launchPersistentContext(profile, {
	executablePath,
	headless: true,
	viewport: { width: 900, height: 640 },
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const shot = (name) => page.screenshot({ path: path.join(outDir, name), fullPage: true });
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(T);
const visible = (sel) => page.locator(sel).waitFor({ state: "visible", timeout: T });
const text = (sel) => page.locator(sel).textContent();
const user = { name: "dana", email: "dana@example.org", password: "correct horse battery" };

try {
	await step("the sign-in page loads signed out", async () => {
		await page.goto(`${base}/login`);
		await visible("#signed-out");
		await shot("1-sign-in.png");
		return (await text("#title")) === "Sign in";
	});
	await step("the link flips the form to sign-up", async () => {
		await page.click("#switch");
		await visible("#email");
		await shot("2-sign-up.png");
		return (await text("#title")) === "Create an account";
	});
	await step("a short password shows 'password too short' in the page", async () => {
		await page.fill("#ident", user.name);
		await page.fill("#email", user.email);
		await page.fill("#password", "short");
		await page.click("#submit");
		await visible("#error");
		await shot("3-sign-up-error.png");
		return (await text("#error")) === "password too short";
	});
	await step("sign-up shows the welcome with the email", async () => {
		await page.fill("#password", user.password);
		await page.click("#submit");
		await visible("#signed-in");
		await shot("4-welcome.png");
		return (await text("#me-email")) === user.email && (await text("#me-username")) === user.name;
	});
	await step("the session cookie is HttpOnly and SameSite=Lax, invisible to scripts", async () => {
		const c = (await context.cookies()).find((x) => x.name === "auth_session");
		const js = await page.evaluate(() => document.cookie);
		return c && c.httpOnly && c.sameSite === "Lax" && c.path === "/" && !js.includes("auth_session");
	});
	await step("after a reload the user stays signed in", async () => {
		await page.reload();
		await visible("#signed-in");
		await shot("5-reloaded.png");
		return (await text("#me-email")) === user.email;
	});
	await step("sign-out returns to the sign-in form and drops the cookie", async () => {
		await page.click("#signout");
		await visible("#signed-out");
		await page.reload();
		await visible("#signed-out");
		await shot("6-signed-out.png");
		return !(await context.cookies()).some((x) => x.name === "auth_session");
	});
	await step("a wrong password shows 'invalid username or password'", async () => {
		await page.fill("#ident", user.email);
		await page.fill("#password", "not the password");
		await page.click("#submit");
		await visible("#error");
		await shot("7-wrong-password.png");
		return (await text("#error")) === "invalid username or password";
	});
	await step("the right password by email signs in again", async () => {
		await page.fill("#password", user.password);
		await page.click("#submit");
		await visible("#signed-in");
		await shot("8-signed-in-again.png");
		return (await text("#me-username")) === user.name;
	});
	await step("after sign-in, ?next= leads back to a same-site path only", async () => {
		await page.click("#signout");
		await visible("#signed-out");
		await page.goto(`${base}/login?next=//evil.example/`);
		await visible("#signed-out");
		await page.fill("#ident", user.name);
		await page.fill("#password", user.password);
		await page.click("#submit");
		await visible("#signed-in");
		return new URL(page.url()).host === new URL(base).host;
	});
} finally {
	await context.close();
	rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

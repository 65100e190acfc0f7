// Sign-in page of luciaauthd: talks to the JSON API of the same origin.
// The session cookie is HttpOnly: this script never sees the token.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let signup = false;

  function show(section) {
    $("signed-out").hidden = section !== "out";
    $("signed-in").hidden = section !== "in";
  }

  function setMode(isSignup) {
    signup = isSignup;
    $("title").textContent = signup ? "Create an account" : "Sign in";
    $("ident-label").textContent = signup ? "Username" : "Username or email";
    $("signup-only").hidden = !signup;
    $("password").autocomplete = signup ? "new-password" : "current-password";
    $("switch-text").textContent = signup ? "Already have an account?" : "No account yet?";
    $("switch").textContent = signup ? "Sign in" : "Create an account";
    $("submit").textContent = signup ? "Sign up" : "Sign in";
    $("error").hidden = true;
    document.title = signup ? "Sign up" : "Sign in";
  }

  // Only a same-site path may be the target after signing in.
  function next() {
    const n = new URLSearchParams(location.search).get("next");
    return n && n.startsWith("/") && !n.startsWith("//") && !n.startsWith("/\\") ? n : null;
  }

  function signedIn(user) {
    $("me-username").textContent = user.username;
    $("me-email").textContent = user.email || "\u2014";
    $("me-uid").textContent = String(user.uid);
    show("in");
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = {};
    try { data = await res.json(); } catch (e) { /* empty body */ }
    return { ok: res.ok, status: res.status, data };
  }

  async function submit(ev) {
    ev.preventDefault();
    const err = $("error");
    err.hidden = true;
    $("submit").disabled = true;
    const ident = $("ident").value.trim();
    const body = signup
      ? { username: ident, email: $("email").value.trim(), password: $("password").value }
      : { identifier: ident, password: $("password").value };
    try {
      const r = await api("POST", signup ? "/api/signup" : "/api/login", body);
      $("password").value = "";
      if (r.ok) {
        const n = next();
        if (n) { location.assign(n); return; }
        signedIn(r.data.user);
      } else {
        err.textContent = r.data.error || "something went wrong";
        err.hidden = false;
      }
    } catch (e) {
      err.textContent = "the service cannot be reached";
      err.hidden = false;
    } finally {
      $("submit").disabled = false;
    }
  }

  async function signout() {
    await api("POST", "/api/logout");
    setMode(false);
    show("out");
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("form").addEventListener("submit", submit);
    $("switch").addEventListener("click", (ev) => { ev.preventDefault(); setMode(!signup); });
    $("signout").addEventListener("click", signout);
    setMode(false);
    const r = await api("GET", "/api/session").catch(() => ({ ok: false }));
    if (r.ok) signedIn(r.data.user); else show("out");
  });
})();

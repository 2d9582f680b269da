/** The console's login form; posts to /login, which sets the session cookie and sends the browser back to `/`. */
export function loginPage(message: string | null): string {
  const note = message ? `<p class="err" role="alert">${message.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Brook console: log in</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
form{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:min(20rem,90vw)}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.2rem;width:100%;padding:.6rem;font-size:1rem;background:#1f6feb;color:#fff;border:0;border-radius:4px}
.err{color:#b00020}
</style></head><body>
<form method="post" action="/login" data-testid="login-form">
<h1>Brook console</h1>
<p>Log in with a broker user (SASL/PLAIN or SCRAM).</p>${note}
<label for="user">User</label><input id="user" name="user" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form></body></html>`;
}

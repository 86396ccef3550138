// The passkey buttons of the sign-in, confirmation, passkeys and home pages (PASSKEYS=on only; an
// ES module, loaded with `type="module"`). It talks to the browser through @simplewebauthn/browser,
// which the app serves itself (/static/webauthn/), and posts the browser's answer as a plain form
// field (`response`), so the server answers with pages and redirects as for any form.
//
// Progressive enhancement: the passkey parts of a page carry `hidden` and `data-passkey-needs-webauthn`
// and are shown only where the browser can use passkeys; without JavaScript they stay hidden and
// the code by SMS (or a recovery code) works as before.
//
// A form with `data-passkey` asks its `data-options` URL for options (a CSRF-checked POST; JSON),
// hands them to the browser, puts the answer in its `response` field and submits itself. A form
// with `data-recent="false"` is left alone: its press reaches the server, which first asks the
// password again (/account/confirm) and comes back to the page.
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '/static/webauthn/index.js';

const supported = browserSupportsWebAuthn();
for (const element of document.querySelectorAll('[data-passkey-needs-webauthn]')) element.hidden = !supported;
for (const element of document.querySelectorAll('[data-passkey-unsupported]')) element.hidden = supported;

const errorBox = document.getElementById('passkey-error');

// Where the passkey is the page's next step (the sign-in's and the confirmation's), its button
// takes the focus, as an `autofocus` would if the button were not hidden until now; not over an
// error the server's page is showing.
const first = supported && document.querySelector('form[data-passkey-autofocus] button[type="submit"]');
if (first && !document.querySelector('.error[role="alert"]:not(:empty)')) first.focus();

function showError(message) {
  if (!errorBox) return;
  errorBox.textContent = message;
  // role=alert announces it; focus moves there too, so a keyboard user reads it next.
  if (message) errorBox.focus();
}

/** Words for what the browser refused: the person cancelled, waited too long, or the device already has one. */
function describeBrowserError(error, registering) {
  const name = error && (error.name === 'WebAuthnError' ? error.cause && error.cause.name : error.name);
  if (name === 'NotAllowedError' || name === 'AbortError') return 'The passkey request was cancelled or timed out. Try again when you are ready.';
  if (registering && name === 'InvalidStateError') return 'This device already has a passkey for your account.';
  if (name === 'SecurityError') return 'This address can’t use passkeys. Open the site at its usual address.';
  return registering ? 'Your browser could not make a passkey. Try again, or use another device.' : 'Your browser could not use a passkey. Try again, or send a code instead.';
}

async function askOptions(form) {
  const body = new URLSearchParams({ _csrf: form.elements._csrf.value });
  const answer = await fetch(form.dataset.options, {
    method: 'POST',
    body,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
    // A redirect means the server wants a page first (a confirmation): the form goes there itself.
    redirect: 'manual',
  });
  if (answer.type === 'opaqueredirect') return { redirect: true };
  const json = await answer.json().catch(() => ({}));
  if (!answer.ok) return { error: json.error || 'Something went wrong. Reload the page and try again.' };
  return { options: json };
}

async function usePasskey(form, button) {
  const registering = form.dataset.passkey === 'register';
  const asked = await askOptions(form);
  if (asked.redirect) {
    form.submit();
    return true;
  }
  if (asked.error) return showError(asked.error);
  let answer;
  try {
    answer = registering ? await startRegistration({ optionsJSON: asked.options }) : await startAuthentication({ optionsJSON: asked.options });
  } catch (error) {
    return showError(describeBrowserError(error, registering));
  }
  form.elements.response.value = JSON.stringify(answer);
  button.textContent = registering ? 'Adding your passkey…' : 'Checking your passkey…';
  form.submit();
  return true;
}

for (const form of document.querySelectorAll('form[data-passkey]')) {
  if (!supported || form.dataset.recent === 'false') continue;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    showError('');
    let submitted = false;
    try {
      submitted = (await usePasskey(form, button)) === true;
    } catch {
      showError('The server could not be reached. Check your connection and try again.');
    } finally {
      if (!submitted) {
        button.disabled = false;
        if (!errorBox || !errorBox.textContent) button.focus();
      }
    }
  });
}

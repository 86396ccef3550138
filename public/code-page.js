// The code page's "Send a new code" button waits out the resend cooldown in the open: disabled,
// with the seconds left beside it, and enabled again at zero. Progressive enhancement: without this
// script the button stays enabled and a press during the cooldown gets the server's 429 page,
// which says how long to wait. The server puts the seconds left on the button
// (data-cooldown-seconds) and in the text (#resend-wait).
//
// The seconds tick in #resend-wait, which is not a live region; the polite live region
// (#resend-status) speaks twice only, when the wait starts and when it is over, so a screen reader
// is not interrupted every second.
(() => {
  'use strict';
  const button = document.querySelector('button[data-cooldown-seconds]');
  const status = document.getElementById('resend-status');
  const seconds = Number(button && button.dataset.cooldownSeconds);
  if (!button || !status) return;
  // Firefox restores a control's disabled state on reload: a page with no wait left enables it.
  if (!(seconds > 0)) {
    button.disabled = false;
    return;
  }

  const hint = document.getElementById('resend-wait');
  const deadline = Date.now() + seconds * 1000;
  const waitText = (left) => `You can ask for a new code in ${left} second${left === 1 ? '' : 's'}.`;
  const readyText = 'You can ask for a new code now.';

  button.disabled = true;
  status.textContent = waitText(seconds);

  const tick = () => {
    const msLeft = deadline - Date.now();
    if (msLeft <= 0) {
      button.disabled = false;
      if (hint) hint.textContent = readyText;
      status.textContent = readyText;
      return;
    }
    if (hint) hint.textContent = waitText(Math.ceil(msLeft / 1000));
    // Wake at the next whole second left (a timer may fire late, e.g. in a background tab).
    setTimeout(tick, msLeft % 1000 || 1000);
  };
  tick();
})();

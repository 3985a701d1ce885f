// Long-poll /calls: ask for everything after the last version seen, show it, ask again.
const list = document.getElementById("calls");
const status = document.getElementById("status");
const SPREAD = 500; // ms: after an answer, wait up to this long so screens do not ask in step
const FIRST_RETRY = 1000; // ms: the ceiling of the first wait after an error (500–1000); it doubles
const LAST_RETRY = 30000; // ms: the longest wait between two tries
const POLL_LIMIT = 35000; // ms: the server answers within 25 s; a poll still open at 35 s is dead
let version = Number(list.dataset.version);

function show(call) {
  const item = document.createElement("li");
  const ticket = document.createElement("span");
  ticket.className = "ticket";
  ticket.textContent = call.ticket;
  const note = document.createElement("span");
  note.className = "note";
  note.textContent = call.note;
  item.append(ticket, ` to counter ${call.counter} `, note);
  list.prepend(item);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ANCHOR: backoff
// Exponential backoff with jitter: half of the wait is fixed, the other half random.
function backoff(failures) {
  const ceiling = Math.min(LAST_RETRY, FIRST_RETRY * 2 ** (failures - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
// ANCHOR_END: backoff

async function poll() {
  let failures = 0;
  for (;;) {
    try {
      // A connection that died without a word (a sleeping laptop, a dropped NAT entry) never
      // fails by itself: give up on it, as on any error, and ask again.
      const response = await fetch(`/calls?since=${version}`, {
        signal: AbortSignal.timeout(POLL_LIMIT),
      });
      const answer = await response.json();
      if (response.status === 400) {
        status.textContent = `${answer.error}; please reload the page.`;
        return;
      }
      if (!response.ok) throw new Error(`status ${response.status}`);
      for (const call of answer.calls) {
        if (call.version > version) show(call);
      }
      version = answer.version;
      status.textContent = "";
      failures = 0;
      await sleep(Math.random() * SPREAD);
    } catch (error) {
      failures += 1;
      status.textContent = "Connection lost; trying again…";
      await sleep(backoff(failures));
    }
  }
}

poll();

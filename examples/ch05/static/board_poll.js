// Long-poll /calls: ask for everything after the last version seen, show it, ask again.
const list = document.getElementById("calls");
const status = document.getElementById("status");
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

async function poll() {
  for (;;) {
    try {
      const response = await fetch(`/calls?since=${version}`);
      const answer = await response.json();
      if (!response.ok) {
        status.textContent = `${answer.error}; please reload the page.`;
        return;
      }
      for (const call of answer.calls) {
        if (call.version > version) show(call);
      }
      version = answer.version;
      status.textContent = "";
    } catch (error) {
      status.textContent = "Connection lost; trying again…";
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

poll();

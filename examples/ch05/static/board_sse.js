// One EventSource on /events. The browser reconnects by itself, sending Last-Event-ID;
// after a refusal it will not, so the script starts a new one, later and later.
const list = document.getElementById("calls");
const status = document.getElementById("status");
let version = Number(list.dataset.version);
let source;
let failures = 0;  // refusals in a row

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

function connect() {
  source = new EventSource(`/events?since=${version}`);
  source.addEventListener("call", (event) => {
    const call = JSON.parse(event.data);
    if (call.version > version) {
      show(call);
      version = call.version;
    }
  });
  source.addEventListener("stale", (event) => {  // this page is older than the board
    source.close();
    status.textContent = `${JSON.parse(event.data).error}; please reload the page.`;
  });
  source.onopen = () => {
    failures = 0;
    status.textContent = "";
  };
  source.onerror = () => {
    status.textContent = "Connection lost; reconnecting…";
    if (source.readyState === EventSource.CLOSED) {  // a status but 200, say a proxy's 502
      failures += 1;
      const ceiling = Math.min(1000 * 2 ** failures, 30000);
      setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    }
  };
}

connect();

// One EventSource on /events. The browser reconnects by itself, sending Last-Event-ID.
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

const source = new EventSource(`/events?since=${version}`);
source.addEventListener("call", (event) => {
  const call = JSON.parse(event.data);
  if (call.version > version) {
    show(call);
    version = call.version;
  }
});
source.onopen = () => { status.textContent = ""; };
source.onerror = () => {
  // CLOSED: the server refused the stream (any status but 200); EventSource will not retry.
  status.textContent = source.readyState === EventSource.CLOSED
    ? "The board no longer knows this page; please reload it."
    : "Connection lost; reconnecting…";
};

// One WebSocket to /live; after a drop, reconnect asking for everything after the last version.
const list = document.getElementById("calls");
const status = document.getElementById("status");
const form = document.getElementById("call-form");
const button = form.querySelector("button");
let version = Number(list.dataset.version);
const STALE_CURSOR = 4000;  // the server's close code for a version it never had
let socket;

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

function showErrors(errors) {
  for (const span of form.querySelectorAll(".error")) {
    span.textContent = errors[span.dataset.for] || "";
  }
  status.textContent = errors.message || "";
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  button.disabled = true;  // until the socket is open: a send before would throw, after be lost
  socket = new WebSocket(`${scheme}://${location.host}/live?since=${version}`);
  socket.onopen = () => {
    status.textContent = "";
    button.disabled = false;
  };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "error") {
      showErrors(message.errors);
    } else if (message.version > version) {
      show(message);
      version = message.version;
    }
  };
  socket.onclose = (event) => {
    button.disabled = true;
    if (event.code === STALE_CURSOR) {  // this page is older than the board: it must reload
      status.textContent = `${event.reason}; please reload the page.`;
      return;
    }
    status.textContent = "Connection lost; reconnecting…";
    setTimeout(connect, 2000);
  };
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (socket.readyState !== WebSocket.OPEN) {  // Enter in a field still submits
    status.textContent = "Not connected; the call was not sent.";
    return;
  }
  showErrors({});
  socket.send(JSON.stringify({
    ticket: form.elements.ticket.value.trim(),
    counter: Number(form.elements.counter.value),
    note: form.elements.note.value.trim(),
  }));
});

connect();

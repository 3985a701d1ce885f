// New posts arrive over a WebSocket; textContent shows them as text, never as markup.
const scheme = location.protocol === "https:" ? "wss" : "ws";
const feed = new WebSocket(`${scheme}://${location.host}/feed`);
feed.onmessage = (event) => {
  const post = JSON.parse(event.data);
  const item = document.createElement("li");
  item.textContent = `${post.author}: ${post.text}`;
  document.getElementById("posts").prepend(item);
};

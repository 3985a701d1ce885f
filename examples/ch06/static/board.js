// "+1" buttons post with fetch(); the _xsrf cookie goes back in the X-XSRFToken header.
function xsrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
  return match ? match[1] : "";
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.like");
  if (!button) {
    return;
  }
  const response = await fetch(`/notes/${button.dataset.note}/like`, {
    method: "POST",
    headers: { "X-XSRFToken": xsrfToken() },
  });
  if (response.ok) {
    const { likes } = await response.json();
    button.querySelector(".count").textContent = likes;
  }
});

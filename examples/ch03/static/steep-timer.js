// Turn each tea card's button into a countdown to the moment the tea is ready.
for (const button of document.querySelectorAll("button.steep")) {
  button.addEventListener("click", () => {
    let left = Number(button.dataset.seconds);
    button.disabled = true;
    button.textContent = `${left} s left`;
    const timer = setInterval(() => {
      left -= 1;
      button.textContent = left > 0 ? `${left} s left` : "Ready to pour";
      if (left <= 0) {
        clearInterval(timer);
        button.disabled = false;
      }
    }, 1000);
  });
}

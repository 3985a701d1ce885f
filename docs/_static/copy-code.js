// A copy button on every code block (docs/_ext/copy_code.py adds this script with its labels).
// A console block copies only the commands, without the "$ " prompt; other blocks copy as shown.
(() => {
  const labels = document.currentScript.dataset;
  const prompt = "$ ";

  function textToCopy(shown) {
    const lines = shown.replace(/\n$/, "").split("\n");
    const commands = lines.filter((line) => line.startsWith(prompt));
    if (commands.length === 0) return lines.join("\n");
    return commands.map((line) => line.slice(prompt.length)).join("\n");
  }

  function addButton(pre) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = labels.copy;
    button.setAttribute("aria-live", "polite");
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(textToCopy(pre.innerText));
        button.textContent = labels.copied;
      } catch {
        button.textContent = labels.failed;
      }
      setTimeout(() => (button.textContent = labels.copy), 2000);
    });
    pre.before(button);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("div.highlight > pre").forEach(addButton);
  });
})();

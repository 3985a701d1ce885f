// The report's data rides along as JSON in the table's data-report attribute.
const table = document.getElementById("words");
const button = document.getElementById("copy");

button.hidden = false;
button.addEventListener("click", async () => {
  const report = JSON.parse(table.dataset.report);
  await navigator.clipboard.writeText(JSON.stringify(report, null, 2));
  button.textContent = "Copied";
});

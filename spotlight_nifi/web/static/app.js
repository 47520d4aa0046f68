// Progressive enhancement only: every page works without this file.
// "Select this page" ticks every record checkbox; acting on all matching records asks first;
// a form is not sent twice by a double click.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-page");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", () => {
      document.querySelectorAll('#selection input[name="id"]').forEach((box) => { box.checked = all.checked; });
    });
  }
  document.querySelectorAll("form[method=post]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const scope = form.querySelector('input[name="scope"]:checked');
      if (scope && scope.dataset.confirm && !window.confirm(scope.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      if (form.id !== "export") {
        form.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = true; });
      }
    });
  });
});

// The check-in desk (web/serial_checkin_pages.py): a scanner types the ISSN and sends Enter;
// Enter in the ISSN field moves to the issue number instead of sending a half-filled form.
(function () {
  var issn = document.getElementById("c-issn");
  var number = document.getElementById("c-numbers");
  if (!issn || !number) { return; }
  issn.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && number.value.trim() === "") {
      event.preventDefault();
      number.focus();
    }
  });
})();

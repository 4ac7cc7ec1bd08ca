// Small progressive enhancements; every form also works without JavaScript.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("select[data-autosubmit]")) field.form.requestSubmit();
});

// Health trend on the account page: data from the json_script tag, bands as guide lines.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("health-chart");
  const source = document.getElementById("health-trend");
  if (!canvas || !source || !window.Chart) return;
  const points = JSON.parse(source.textContent);
  const healthy = Number(canvas.dataset.healthy);
  const watch = Number(canvas.dataset.watch);
  const locale = document.documentElement.lang || "en";
  const format = new Intl.DateTimeFormat(locale, { day: "2-digit", month: "2-digit" });
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: points.map((p) => format.format(new Date(`${p.day}T12:00:00`))),
      datasets: [
        { label: canvas.dataset.label, data: points.map((p) => p.score), borderColor: "#0d6efd", pointRadius: 0, tension: 0.2, spanGaps: true },
        { label: "", data: points.map(() => healthy), borderColor: "#198754", borderDash: [4, 4], pointRadius: 0, borderWidth: 1 },
        { label: "", data: points.map(() => watch), borderColor: "#dc3545", borderDash: [4, 4], pointRadius: 0, borderWidth: 1 },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { min: 0, max: 100 } },
      plugins: { legend: { display: false } },
    },
  });
});

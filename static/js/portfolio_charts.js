// Portfolio dashboard charts, from the json_script tag; drawn again after each htmx swap of
// the figures (filters change the page in place).
(() => {
  const BAND_COLOURS = { healthy: "#198754", watch: "#ffc107", at_risk: "#dc3545", unknown: "#6c757d" };
  const CLASS_COLOURS = { A: "#0d6efd", B: "#6ea8fe", C: "#adb5bd" };
  // SLA bars: first response blue, resolution green; the 30-day bar darker than the 90-day one.
  const SLA_COLOURS = {
    first_response: { 30: "#0d6efd", 90: "#9ec5fe" },
    resolution: { 30: "#198754", 90: "#a3cfbb" },
  };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    const old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    new window.Chart(canvas, config);
  }

  function render() {
    const source = document.getElementById("portfolio-chart-data");
    if (!source || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    const locale = document.documentElement.lang || "en";
    const money = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    draw("pareto-chart", {
      data: {
        labels: data.pareto.labels,
        datasets: [
          {
            type: "bar", label: data.pareto.revenue_label, data: data.pareto.revenue, yAxisID: "y",
            backgroundColor: data.pareto.bands.map((band) => CLASS_COLOURS[band]),
          },
          {
            type: "line", label: data.pareto.cumulative_label, data: data.pareto.cumulative,
            yAxisID: "share", borderColor: "#212529", pointRadius: 2, tension: 0.2,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, ticks: { callback: (value) => money.format(value) } },
          share: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
        },
      },
    });
    draw("tiers-chart", {
      type: "bar",
      data: {
        labels: data.tiers.labels,
        datasets: data.tiers.series.map((series) => ({
          label: series.label, data: series.data, backgroundColor: BAND_COLOURS[series.band],
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    draw("trend-chart", {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: [
          { label: data.trend.median_label, data: data.trend.median, borderColor: "#0d6efd", yAxisID: "y", spanGaps: true },
          { label: data.trend.at_risk_label, data: data.trend.at_risk, borderColor: "#dc3545", yAxisID: "y", borderDash: [4, 4], spanGaps: true },
        ],
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 100 } } },
    });
    if (data.sla) {
      draw("sla-chart", {
        type: "bar",
        data: {
          labels: data.sla.labels,
          datasets: data.sla.series.map((series) => ({
            label: series.label, data: series.data,
            backgroundColor: (SLA_COLOURS[series.clock] || {})[series.days] || "#6c757d",
          })),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: { y: { min: 0, max: 100, ticks: { callback: (value) => `${value} %` } } },
        },
      });
    }
  }

  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
})();

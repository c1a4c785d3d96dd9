// Chart.js (served from /static/vendor) with the dashboard's colours and fonts.

const { Chart } = window;
const styles = getComputedStyle(document.documentElement);
export const cssColor = (name) => styles.getPropertyValue(name).trim();

Chart.defaults.font.family = cssColor("--font") || "system-ui, sans-serif";
Chart.defaults.font.size = 12;
Chart.defaults.color = cssColor("--muted");
Chart.defaults.borderColor = cssColor("--chart-grid");
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.responsive = true;
Chart.defaults.plugins.tooltip.backgroundColor = "#1b2332";
Chart.defaults.plugins.tooltip.padding = 8;
Chart.defaults.plugins.legend.labels.boxWidth = 12;
Chart.defaults.plugins.legend.labels.boxHeight = 12;

/** "#3d5afe" with an alpha, as rgba(). */
export function withAlpha(hex, alpha) {
  const value = hex.replace("#", "");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(value.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Draw a chart on a canvas, replacing the one drawn there before. */
export function drawChart(canvas, config) {
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, config);
}

/** A small line without axes; the tooltip shows the day and the formatted value. */
export function sparkline(canvas, labels, values, format) {
  const color = cssColor("--chart-1");
  return drawChart(canvas, {
    type: "line",
    data: {
      labels,
      datasets: [{
        data: values,
        borderColor: color,
        backgroundColor: withAlpha(color, 0.12),
        borderWidth: 1.6,
        fill: true,
        pointRadius: 0,
        pointHoverRadius: 3,
        tension: 0.3,
        spanGaps: true,
      }],
    },
    options: {
      animation: false,
      layout: { padding: { top: 3, bottom: 1 } },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: { displayColors: false, callbacks: { label: (item) => format(item.raw) } },
      },
      scales: { x: { display: false }, y: { display: false, grace: "5%" } },
    },
  });
}

/** A sequential palette from light to dark, one colour per series (older cohorts darker). */
export function sequentialColors(count) {
  const colors = [];
  for (let i = 0; i < count; i += 1) {
    const t = count === 1 ? 1 : i / (count - 1);
    const lightness = 28 + (1 - t) * 42;
    colors.push(`hsl(${230 - t * 20}, ${70 + t * 15}%, ${lightness}%)`);
  }
  return colors.reverse();
}

/** Distinct colours for unrelated series (events, breakdown values), in a fixed order. */
export const CATEGORICAL = ["#3d5afe", "#f29a38", "#16a34a", "#d946ef", "#0ea5e9", "#e11d48", "#854d0e", "#64748b",
  "#7c3aed", "#0d9488", "#ca8a04", "#be185d"];

export const categoricalColor = (i) => CATEGORICAL[i % CATEGORICAL.length];

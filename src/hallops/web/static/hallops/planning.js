/* The planning page's charts (Apache ECharts, vendored) from the page's data (json_script): forecast against
 * actual by day and by half hour, staff required and rostered per zone, and the roster as a Gantt chart
 * (a custom series). On both pages: a busy note while a form is submitted. */
(function () {
  "use strict";

  function minutes(label) {
    var p = label.split(":");
    return parseInt(p[0], 10) * 60 + parseInt(p[1], 10);
  }

  function clock(m) {
    var h = Math.floor(m / 60), mm = m % 60;
    return (h < 10 ? "0" : "") + h + ":" + (mm < 10 ? "0" : "") + mm;
  }

  var replan = document.getElementById("replan-form");
  if (replan) {
    replan.addEventListener("submit", function () {
      var button = document.getElementById("replan");
      if (button) button.disabled = true;
      var busy = document.getElementById("replan-busy");
      if (busy) busy.hidden = false;
    });
  }
  var whatif = document.getElementById("whatif-form");
  if (whatif) {
    whatif.addEventListener("submit", function () {
      var button = document.getElementById("whatif-run");
      if (button) button.disabled = true;
    });
  }

  var holder = document.getElementById("planning-data");
  if (!holder || typeof echarts === "undefined") return;
  var data = JSON.parse(holder.textContent);
  var charts = [];

  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) return null;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.animationDuration = 300;
    chart.setOption(option);
    el.setAttribute("data-rendered", "1");
    charts.push(chart);
    return chart;
  }

  var d = data.by_day;
  make("chart-by-day", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: d.days.map(function (x) { return x.slice(5); }) },
    yAxis: { type: "value", name: d.labels.count },
    series: [
      { name: d.labels.actual, type: "line", data: d.actual, itemStyle: { color: "#1d2430" }, symbolSize: 6 },
      { name: d.labels.forecast, type: "line", data: d.forecast, itemStyle: { color: "#0b5cad" },
        lineStyle: { type: "dashed" }, symbolSize: 6 }
    ]
  });

  var s = data.by_slot;
  make("chart-by-slot", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: s.slots },
    yAxis: { type: "value", name: s.labels.count },
    series: [
      { name: s.labels.forecast, type: "bar", data: s.forecast, itemStyle: { color: "#9db8df" } },
      { name: s.labels.actual, type: "line", data: s.actual, itemStyle: { color: "#1d2430" }, connectNulls: false },
      { name: s.labels.last_week, type: "line", data: s.last_week, itemStyle: { color: "#b76e00" },
        lineStyle: { type: "dotted" }, symbol: "none" }
    ]
  });

  var r = data.requirement;
  var series = r.series.map(function (x) {
    return { name: x.name, type: "line", step: "start", data: x.data, itemStyle: { color: r.colours[x.role] },
      lineStyle: { width: 3 }, symbol: "none" };
  });
  series.push({ name: r.erlang.name, type: "line", step: "start", data: r.erlang.data, symbol: "none",
    itemStyle: { color: "#5b6575" }, lineStyle: { type: "dashed", width: 1.5 } });
  r.rostered.forEach(function (x) {
    series.push({ name: x.name, type: "bar", data: x.data, barGap: "0%", itemStyle: { color: r.colours[x.role], opacity: 0.25 } });
  });
  make("chart-requirement", {
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 40, right: 16, top: 56, bottom: 28 },
    xAxis: { type: "category", data: r.slots },
    yAxis: { type: "value", name: r.labels.heads, minInterval: 1 },
    series: series
  });

  var g = data.gantt;
  if (g.staff.length) {
    var start = minutes(g.start), end = minutes(g.end);
    var el = document.getElementById("chart-gantt");
    if (el) el.style.height = Math.max(160, 48 + g.staff.length * 34) + "px";
    make("chart-gantt", {
      tooltip: {
        formatter: function (p) {
          var b = p.data.bar;
          return g.names[b.row] + "<br>" + b.label + ": " + b.start + "–" + b.end;
        }
      },
      grid: { left: 96, right: 16, top: 10, bottom: 28 },
      xAxis: { type: "value", min: start, max: end, interval: 60, axisLabel: { formatter: clock } },
      yAxis: { type: "category", data: g.names, inverse: true },
      series: [{
        type: "custom",
        encode: { x: [1, 2], y: 0 },
        data: g.bars.map(function (b) {
          return { value: [b.row, minutes(b.start), minutes(b.end)], bar: b,
            itemStyle: { color: g.colours[b.role] || "#888" } };
        }),
        renderItem: function (params, api) {
          var from = api.coord([api.value(1), api.value(0)]);
          var to = api.coord([api.value(2), api.value(0)]);
          var height = api.size([0, 1])[1] * 0.6;
          var rect = echarts.graphic.clipRectByRect(
            { x: from[0], y: from[1] - height / 2, width: to[0] - from[0], height: height },
            { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
          return rect && { type: "rect", shape: rect, style: api.style() };
        }
      }]
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();

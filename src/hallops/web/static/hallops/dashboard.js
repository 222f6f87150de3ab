/* The dashboard's charts (Apache ECharts, vendored). The data comes from the page (json_script); a click on a
 * day, a heat-map cell, a business type or a hall opens the records (or the hall) behind it. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var charts = [];

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function make(id, option, onClick) {
    var el = document.getElementById(id);
    if (!el) return null;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.animationDuration = 300;
    chart.setOption(option);
    if (onClick) chart.on("click", onClick);
    el.setAttribute("data-rendered", "1");
    charts.push(chart);
    return chart;
  }

  function go(url) { if (url) window.location.href = url; }

  function dayUrl(base, day) {
    return base + "?start=" + encodeURIComponent(day) + "&end=" + encodeURIComponent(day);
  }

  var dash = data("dashboard-data");
  if (dash) {
    var t = dash.trend;
    make("chart-trend", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 28 },
      xAxis: { type: "category", data: t.days },
      yAxis: [{ type: "value", name: t.labels.count }, { type: "value", name: t.labels.minutes }],
      series: [
        { name: t.labels.arrivals, type: "bar", data: t.arrivals, itemStyle: { color: "#9db8df" } },
        { name: t.labels.served, type: "bar", data: t.served, itemStyle: { color: "#0b5cad" } },
        { name: t.labels.wait, type: "line", yAxisIndex: 1, data: t.wait_mean_minutes, itemStyle: { color: "#c0392b" },
          markLine: { silent: true, symbol: "none", data: [{ yAxis: 10 }], lineStyle: { type: "dashed", color: "#c0392b" } } },
        { name: t.labels.handling, type: "line", yAxisIndex: 1, data: t.handling_mean_minutes, itemStyle: { color: "#d68910" } }
      ]
    }, function (p) { go(dayUrl(t.records_url, t.days[p.dataIndex])); });

    var s = dash.shares;
    make("chart-shares", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: s.days },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: s.series.map(function (x) { return { name: x.name, type: "line", data: x.data, connectNulls: false }; })
    }, function (p) { go(dayUrl(t.records_url, s.days[p.dataIndex])); });

    var h = dash.heat;
    var hourIndex = {};
    h.hours.forEach(function (hour, i) { hourIndex[hour] = i; });
    var cells = h.cells.map(function (c) {
      return { value: [hourIndex[c.hour], c.weekday, c.wait], cell: c };
    });
    make("chart-heat", {
      tooltip: {
        formatter: function (p) {
          var c = p.data.cell;
          return h.weekdays[c.weekday] + " " + String(c.hour).padStart(2, "0") + ":00<br>" +
            h.labels.wait + ": " + (c.wait == null ? "—" : c.wait) + "<br>" +
            h.labels.within + ": " + (c.within == null ? "—" : c.within + "%") + "<br>" +
            h.labels.arrivals + ": " + c.arrivals;
        }
      },
      grid: { left: 56, right: 96, top: 10, bottom: 28 },
      xAxis: { type: "category", data: h.hours.map(function (x) { return String(x).padStart(2, "0"); }), splitArea: { show: true } },
      yAxis: { type: "category", data: h.weekdays, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(h.target_minutes * 2, 1), calculable: true, orient: "vertical", right: 0, top: "middle",
        text: [h.labels.wait, ""], inRange: { color: ["#e8f5e9", "#fff3cd", "#f5b7b1", "#c0392b"] } },
      series: [{ type: "heatmap", data: cells, label: { show: true, fontSize: 10,
        formatter: function (p) { return p.data.value[2] == null ? "" : p.data.value[2].toFixed(1); } } }]
    }, function (p) { go(p.data && p.data.cell && p.data.cell.url); });

    var sv = dash.services;
    make("chart-services", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 48 },
      xAxis: { type: "category", data: sv.services, axisLabel: { interval: 0, rotate: sv.services.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: sv.labels.minutes },
      series: [
        { name: sv.labels.handling, type: "bar", data: sv.handling, itemStyle: { color: "#9db8df" } },
        { name: sv.labels.service, type: "bar", data: sv.service, itemStyle: { color: "#0b5cad" } },
        { name: sv.labels.limit, type: "scatter", symbol: "rect", symbolSize: [28, 3], data: sv.limit, itemStyle: { color: "#c0392b" } }
      ]
    }, function (p) { go(sv.urls[p.dataIndex]); });
  }

  var region = data("region-data");
  if (region) {
    make("chart-region", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 48, bottom: 28 },
      xAxis: { type: "category", data: region.halls },
      yAxis: [{ type: "value", name: region.axes[0] }, { type: "value", name: region.axes[1], min: 0, max: 100 }],
      series: region.series.map(function (x) {
        return { name: x.name, type: "bar", yAxisIndex: x.axis, data: x.data,
          label: { show: true, position: "top", fontSize: 10 } };
      })
    }, function (p) { go(region.urls[p.dataIndex]); });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();

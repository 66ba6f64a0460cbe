// Quarterdeck pages: draws the charts (uPlot) from each chart element's data-chart, and
// keeps the dashboard's choice of KPIs in its address. Everything else is plain HTML
// enhanced by htmx.
(function () {
  "use strict";
  var VALUE = "#0b57d0", IDEAL = "#4b5563", TARGET = "#1a7f37", GUARD = "#b42318", FORECAST = "#8250df";

  function line(label, stroke, dash) {
    return { label: label, stroke: stroke, width: 1.5, dash: dash, points: { show: false } };
  }

  function spec(el) {
    var s = JSON.parse(el.getAttribute("data-chart"));
    var xs, values, data, series, bands = [];
    if (s.kind === "key_result") {
      var seen = {};
      var fc = s.forecast || [];
      xs = s.points.map(function (p) { return p[0]; }).concat(s.ideal.map(function (p) { return p[0]; }))
        .concat(fc.map(function (p) { return p[0]; }));
      xs = xs.filter(function (x) { if (seen[x]) return false; seen[x] = true; return true; }).sort(function (a, b) { return a - b; });
      var byX = {};
      s.points.forEach(function (p) { byX[p[0]] = p[1]; });
      values = xs.map(function (x) { return x in byX ? byX[x] : null; });
      var a = s.ideal[0], b = s.ideal[1];
      var ideal = xs.map(function (x) { return a[1] + (b[1] - a[1]) * (x - a[0]) / ((b[0] - a[0]) || 1); });
      data = [xs, values, ideal];
      series = [{}, { label: "value", stroke: VALUE, width: 2, spanGaps: true, points: { show: true, size: 7, fill: VALUE } },
        line("straight line to target", IDEAL, [6, 4])];
      if (fc.length) {
        // The forecast from the latest check-in to the cycle's end: P50 and the 80 % band.
        var at = function (i) {
          var byT = {};
          fc.forEach(function (p) { byT[p[0]] = p[i]; });
          return xs.map(function (x) { return x in byT ? byT[x] : null; });
        };
        data.push(at(1), at(2), at(3));
        series.push(
          { label: "forecast P10", stroke: FORECAST, width: 1, dash: [2, 3], spanGaps: true, points: { show: false } },
          { label: "forecast P50", stroke: FORECAST, width: 2, dash: [8, 4], spanGaps: true, points: { show: false } },
          { label: "forecast P90", stroke: FORECAST, width: 1, dash: [2, 3], spanGaps: true, points: { show: false } });
        bands.push({ series: [series.length - 1, series.length - 3], fill: "rgba(130,80,223,0.12)" });
      }
    } else {
      xs = s.points.map(function (p) { return p[0]; });
      values = s.points.map(function (p) { return p[1]; });
      data = [xs, values];
      series = [{}, { label: "value", stroke: VALUE, width: 2, spanGaps: false, points: { show: true, size: 5, fill: VALUE } }];
      if (s.target !== null && s.target !== undefined) {
        data.push(xs.map(function () { return s.target; }));
        series.push(line("target", TARGET, [6, 4]));
      }
      if (s.band) {
        data.push(xs.map(function () { return s.band[0]; }));
        series.push(line("healthy from", TARGET, [2, 3]));
        data.push(xs.map(function () { return s.band[1]; }));
        series.push(line("healthy to", TARGET, [2, 3]));
        bands.push({ series: [series.length - 1, series.length - 2], fill: "rgba(26,127,55,0.12)" });
      }
      if (s.guardrail !== null && s.guardrail !== undefined) {
        data.push(xs.map(function () { return s.guardrail; }));
        series.push(line("guardrail", GUARD, [4, 2]));
      }
    }
    return { data: data, series: series, bands: bands, drawn: values.filter(function (v) { return v !== null; }).length };
  }

  function draw(el) {
    if (el.chart || typeof uPlot === "undefined") return;
    var c = spec(el);
    var width = Math.max(280, el.clientWidth || 600);
    var height = el.classList.contains("small") ? 170 : 280;
    el.chart = new uPlot({ width: width, height: height, series: c.series, bands: c.bands, axes: [{}, { size: 60 }] }, c.data, el);
    el.setAttribute("data-drawn", String(c.drawn));
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  // A table wider than a phone scrolls inside itself; keyboard users can then reach it.
  function scrollableTables() {
    document.querySelectorAll("main table").forEach(function (t) {
      if (t.scrollWidth > t.clientWidth + 1) t.setAttribute("tabindex", "0");
      else t.removeAttribute("tabindex");
    });
  }

  // A form's error names its field at the top of the form; with scripts it moves next to
  // the field it is about (which is marked invalid and described by it).
  function errorBesideField() {
    var error = document.getElementById("form-error");
    var field = document.querySelector("[aria-invalid=true][aria-describedby=form-error]");
    if (error && field) {
      field.insertAdjacentElement("afterend", error);
      field.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll();
    scrollableTables();
    errorBesideField();
    window.addEventListener("resize", scrollableTables);
    var choose = document.getElementById("choose");
    if (choose) {
      choose.addEventListener("submit", function () {
        var picked = Array.prototype.slice.call(choose.querySelectorAll("input[name=pick]:checked")).map(function (i) { return i.value; });
        document.getElementById("kpis-field").value = picked.join(",");
        choose.querySelectorAll("input[name=pick]").forEach(function (i) { i.disabled = true; });
      });
    }
    window.addEventListener("resize", function () {
      document.querySelectorAll("[data-chart]").forEach(function (el) {
        if (el.chart) el.chart.setSize({ width: Math.max(280, el.clientWidth), height: el.chart.height });
      });
    });
  });
  document.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
  // A check-in that worked clears its form for the next one.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (form && form.id === "check-in-form" && e.detail.successful && !document.getElementById("checkin-error")) form.reset();
  });
})();

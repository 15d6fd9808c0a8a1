// The HTML report's own script and styles, inlined by html.ts. The script only reads the embedded
// chart data (script#dnsbench-charts) and draws it with uPlot; it never builds markup from data
// (uPlot puts labels into the legend with textContent) and never fetches anything. It keeps the
// uPlot instances in window.dnsbenchCharts, which the browser tests inspect.
//
// Plain ES2020 in a string: the project compiles without DOM types, and the code must reach the
// page exactly as written (its SHA-256 is pinned in the page's Content-Security-Policy).

export const HTML_CLIENT_JS = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('dnsbench-charts').textContent);
  var MAX_X = __SPECTRUM_MAX_X__;
  var charts = {};
  window.dnsbenchCharts = charts;

  function fmtMs(v) {
    if (v == null || !isFinite(v)) return '--';
    if (v < 1) return Math.round(v * 1000) + 'us';
    if (v < 1000) return v.toFixed(v < 10 ? 2 : 1) + 'ms';
    return (v / 1000).toFixed(3) + 's';
  }
  // Axis labels: uPlot passes null for the unlabelled minor ticks of a log scale.
  function axisMs(u, splits) { return splits.map(function (v) { return v == null ? '' : fmtMs(v); }); }
  function fmtNum(v, digits) {
    return v == null || !isFinite(v) ? '--' : v.toLocaleString('en-US', { maximumFractionDigits: digits });
  }
  function ninesLabel(n) {
    if (n >= MAX_X) return 'max';
    if (n <= 0) return 'p0';
    var p = 100 * (1 - Math.pow(10, -n));
    return 'p' + String(Number(p.toFixed(Math.max(1, Math.ceil(n)))));
  }
  function targetSeries(value) {
    return data.targets.map(function (t) {
      return { label: t.label, stroke: t.color, width: 2, spanGaps: true, value: value, points: { show: false } };
    });
  }
  function plotWidth(el) {
    return Math.max(320, Math.floor(el.getBoundingClientRect().width));
  }
  function make(name, opts, aligned) {
    var el = document.querySelector('[data-chart="' + name + '"] .plot');
    if (!el) return;
    if (aligned[0].length === 0) {
      el.textContent = 'No data.';
      return;
    }
    opts.width = plotWidth(el);
    opts.height = 280;
    charts[name] = new uPlot(opts, aligned, el);
  }
  var timeCursor = { sync: { key: 'dnsbench-time' } };
  var seconds = { label: 't (s)', value: function (u, v) { return v == null ? '--' : v.toFixed(2) + ' s'; } };

  // A log scale's automatic range snaps to whole decades: a 113 ms maximum drew an axis to 1 s.
  // The latency axes end near the data instead (a fifth of a step past either end, in log terms).
  function logRange(u, min, max) {
    if (min == null || max == null || !(min > 0) || !(max > 0)) return [min, max];
    if (max / min < 1.01) return [min / 1.5, max * 1.5];
    var pad = Math.pow(max / min, 0.04);
    return [min / pad, max * pad];
  }

  make('spectrum', {
    scales: { x: { time: false }, y: { distr: 3, range: logRange } },
    series: [{ label: 'percentile', value: function (u, v) { return v == null ? '--' : ninesLabel(v); } }]
      .concat(targetSeries(function (u, v) { return fmtMs(v); })),
    axes: [
      {
        splits: function (u, axis, min, max) {
          var out = [];
          for (var k = Math.ceil(min); k <= Math.floor(max); k++) out.push(k);
          if (max >= MAX_X) out.push(MAX_X);
          return out;
        },
        values: function (u, splits) { return splits.map(ninesLabel); },
      },
      { values: axisMs, size: 70 },
    ],
  }, [data.spectrum.x].concat(data.spectrum.y));

  var stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
  make('histogram', {
    scales: { x: { time: false, distr: 3 } },
    series: [{ label: 'latency from', value: function (u, v) { return fmtMs(v); } }]
      .concat(targetSeries(function (u, v) { return v == null ? '--' : v.toFixed(2) + '%'; }).map(function (s) {
        s.paths = stepped;
        return s;
      })),
    axes: [
      { values: axisMs },
      { values: function (u, splits) { return splits.map(function (v) { return v + '%'; }); }, size: 60 },
    ],
  }, [data.histogram.x].concat(data.histogram.y));

  make('qps', {
    scales: { x: { time: false } },
    cursor: timeCursor,
    series: [seconds].concat(targetSeries(function (u, v) { return fmtNum(v, 0) + ' qps'; })),
    axes: [{}, { values: function (u, splits) { return splits.map(function (v) { return fmtNum(v, 0); }); }, size: 70 }],
  }, [data.time.x].concat(data.time.qps));

  make('loss', {
    scales: { x: { time: false } },
    cursor: timeCursor,
    series: [seconds].concat(targetSeries(function (u, v) { return v == null ? '--' : v.toFixed(2) + '%'; })),
    axes: [{}, { values: function (u, splits) { return splits.map(function (v) { return v + '%'; }); }, size: 60 }],
  }, [data.time.x].concat(data.time.lossPct));

  make('p99', {
    scales: { x: { time: false } },
    cursor: timeCursor,
    series: [seconds].concat(targetSeries(function (u, v) { return fmtMs(v); })),
    axes: [{}, { values: axisMs, size: 70 }],
  }, [data.time.x].concat(data.time.p99Ms));

  // The capacity curve: offered rate on x; sent and answered qps, p50/p99 (ms) and loss (%) on
  // three scales; each SLO limit dashed on its scale; the capacity marked by a vertical line.
  var cap = data.capacity;
  if (cap) {
    var sloColors = { ms: '#9467bd', '%': '#d62728', qps: '#1f77b4' };
    var capSeries = [
      { label: 'offered qps', value: function (u, v) { return fmtNum(v, 0); } },
      { label: 'offered', scale: 'qps', stroke: '#9aa0a6', width: 1, dash: [2, 3], points: { show: false }, value: function (u, v) { return fmtNum(v, 0); } },
      { label: 'sent qps', scale: 'qps', stroke: '#1f77b4', width: 2, value: function (u, v) { return fmtNum(v, 0); } },
      { label: 'answered qps', scale: 'qps', stroke: '#2ca02c', width: 2, value: function (u, v) { return fmtNum(v, 0); } },
      { label: 'p50', scale: 'ms', stroke: '#ff7f0e', width: 1.5, value: function (u, v) { return fmtMs(v); } },
      { label: 'p99', scale: 'ms', stroke: '#9467bd', width: 2, value: function (u, v) { return fmtMs(v); } },
      { label: 'loss', scale: '%', stroke: '#d62728', width: 1.5, value: function (u, v) { return v == null ? '--' : v.toFixed(3) + '%'; } },
    ];
    // The diagonal (sent = offered): a generator that keeps up, and a server that answers all, sit on it.
    var capData = [cap.x, cap.x, cap.achieved, cap.answered, cap.p50Ms, cap.p99Ms, cap.lossPct];
    cap.slo.forEach(function (s) {
      capSeries.push({ label: s.label, scale: s.scale, stroke: sloColors[s.scale], width: 1, dash: [6, 4], points: { show: false },
        value: function () { return s.scale === 'ms' ? fmtMs(s.value) : s.scale === '%' ? s.value + '%' : fmtNum(s.value, 0); } });
      capData.push(cap.x.map(function () { return s.value; }));
    });
    var mark = function (u) {
      if (cap.markX == null) return;
      var x = Math.round(u.valToPos(cap.markX, 'x', true));
      var ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = '#2a9d4b';
      ctx.lineWidth = 2;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillStyle = '#2a9d4b';
      ctx.font = (12 * (window.devicePixelRatio || 1)) + 'px system-ui, sans-serif';
      ctx.fillText(cap.markLabel, x + 4, u.bbox.top + 14 * (window.devicePixelRatio || 1));
      ctx.restore();
    };
    make('capacity', {
      scales: { x: { time: false }, qps: {}, ms: {}, '%': {} },
      series: capSeries,
      axes: [
        { values: function (u, splits) { return splits.map(function (v) { return fmtNum(v, 0); }); } },
        { scale: 'qps', values: function (u, splits) { return splits.map(function (v) { return fmtNum(v, 0); }); }, size: 70 },
        { scale: 'ms', side: 1, values: axisMs, size: 60, grid: { show: false } },
        { scale: '%', side: 1, values: function (u, splits) { return splits.map(function (v) { return v + '%'; }); }, size: 55, grid: { show: false } },
      ],
      hooks: { draw: [mark] },
    }, capData);
    if (charts.capacity) charts.capacity.capacityMarkX = cap.markX;
  }

  // The timeline (issue 12), one chart per target: answered share and qps per interval, outages
  // shaded, --event times as dashed vertical lines with their number, and who answered (NSID) as a
  // colour band along the bottom. Drawn in uPlot's draw hook from the embedded numbers only.
  function drawTimeline(u, tl) {
    var ctx = u.ctx;
    var px = uPlot.pxRatio || 1;
    var top = u.bbox.top;
    var h = u.bbox.height;
    var xAt = function (v) { return u.valToPos(v, 'x', true); };
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, top, u.bbox.width, h);
    ctx.clip();
    ctx.fillStyle = 'rgba(198, 40, 40, 0.22)';
    tl.outages.forEach(function (o) {
      var a = xAt(o[0]);
      ctx.fillRect(a, top, Math.max(px, xAt(o[1]) - a), h);
    });
    var band = Math.round(10 * px);
    tl.spans.forEach(function (s, j) {
      var k = tl.identity[j];
      if (k == null) return;
      ctx.fillStyle = tl.ids[k].color;
      var a = xAt(s[0]);
      ctx.fillRect(a, top + h - band, Math.max(px, xAt(s[1]) - a), band);
    });
    ctx.strokeStyle = '#6a1b9a';
    ctx.fillStyle = '#6a1b9a';
    ctx.lineWidth = 2 * px;
    ctx.setLineDash([6 * px, 4 * px]);
    ctx.font = 'bold ' + Math.round(12 * px) + 'px system-ui, sans-serif';
    tl.events.forEach(function (e) {
      var x = xAt(e.t);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + h - band);
      ctx.stroke();
      ctx.fillText(e.label, x + 4 * px, top + 14 * px);
    });
    ctx.restore();
  }
  (data.timeline || []).forEach(function (tl, i) {
    make('timeline-' + i, {
      scales: { x: { time: false }, pct: { auto: false, range: [0, 105] }, qps: {} },
      series: [
        seconds,
        { label: 'answered', scale: 'pct', stroke: '#2a9d4b', width: 2, spanGaps: false, points: { show: false },
          value: function (u, v) { return v == null ? '--' : v.toFixed(1) + '%'; } },
        { label: 'qps', scale: 'qps', stroke: '#8a8f96', width: 1, dash: [4, 3], points: { show: false },
          value: function (u, v) { return fmtNum(v, 0) + ' qps'; } },
      ],
      axes: [
        {},
        { scale: 'pct', values: function (u, splits) { return splits.map(function (v) { return v + '%'; }); }, size: 55 },
        { scale: 'qps', side: 1, grid: { show: false }, values: function (u, splits) { return splits.map(function (v) { return fmtNum(v, 0); }); }, size: 60 },
      ],
      hooks: { draw: [function (u) { drawTimeline(u, tl); }] },
    }, [tl.x, tl.answeredPct, tl.qps]);
  });

  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      Object.keys(charts).forEach(function (name) {
        var u = charts[name];
        u.setSize({ width: plotWidth(u.root.parentNode), height: 280 });
      });
    }, 100);
  });
})();
`;

export const HTML_CSS = `
:root { color-scheme: light; --fg: #1d232a; --muted: #5b6570; --line: #d9dee3; --bg: #fff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 10px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 0 0 2px; overflow-wrap: anywhere; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; color: var(--muted); }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
dl.meta dd[data-field="command"] { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-top: 4px solid; border-radius: 6px; padding: 10px 12px; background: var(--panel); }
.card .server { margin: 0 0 8px; color: var(--muted); font-family: ui-monospace, monospace; font-size: 12.5px; }
/* Names never wrap ("Queries per second" on one line); the values take the rest, right-aligned. */
.card dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 1px 10px; margin: 0; }
.card dt { color: var(--muted); white-space: nowrap; }
.card dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.card ul.extras { margin: 8px 0 0; padding: 6px 0 0 16px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12.5px; }
ul.checks { list-style: none; padding: 0; }
ul.checks li { padding: 3px 8px; margin: 2px 0; border-left: 4px solid #2a9d4b; font-variant-numeric: tabular-nums; }
ul.checks li.fail { border-left-color: #c62828; background: rgba(198, 40, 40, 0.07); }
ul.checks li b { display: inline-block; width: 3.5em; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.scroll { overflow-x: auto; }
table.data { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right; white-space: nowrap; }
table.data th:first-child, table.data td:first-child { text-align: left; }
table.rc td { position: relative; min-width: 140px; }
table.rc .bar { position: absolute; left: 0; top: 3px; bottom: 3px; opacity: 0.18; }
table.rc .n { position: relative; }
.hint { color: var(--muted); margin: 0 0 6px; font-size: 12.5px; }
.chart .plot { width: 100%; min-height: 40px; }
footer { color: var(--muted); font-size: 12px; padding: 30px 20px; }
p.capacity { font-size: 17px; font-weight: 600; padding: 8px 12px; border-left: 4px solid #2a9d4b; background: var(--panel); overflow-wrap: anywhere; }
p.capacity.generator, p.capacity.slo-failed-at-start, p.capacity.nothing-answered { border-left-color: #c62828; }
table.steps td:last-child { white-space: normal; text-align: left; min-width: 260px; color: var(--muted); }
table.steps tr.fail td, table.steps tr.generator td, table.steps tr.nothing td { background: rgba(198, 40, 40, 0.06); }
ul.tl { margin: 6px 0 0; padding-left: 18px; font-variant-numeric: tabular-nums; }
ul.tl li.outage { color: #b71c1c; }
ul.idlegend { list-style: none; padding: 0; margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px; }
.evline { display: inline-block; width: 14px; border-top: 2px dashed #6a1b9a; vertical-align: middle; margin-right: 6px; }
.outbox { display: inline-block; width: 12px; height: 10px; background: rgba(198, 40, 40, 0.22); vertical-align: middle; margin-right: 6px; }
`;

/**
 * The scripts inlined in report.html besides the lightweight-charts bundle. Plain ES2017 in
 * strings (this page has no build step), kept free of `</script` and `<!--`.
 *
 * Contract with the page (report.ts builds it): `#report-data` holds the JSON payload whose
 * `charts` field is a ChartData (chart-data.ts); `#chart-equity` and `#chart-price` are the chart
 * containers (absent when there is nothing to draw); `#script-error` is a hidden box for errors;
 * `#fit-levels` is an optional checkbox. The body's `data-rendered` attribute ends as "ok" when
 * every chart was built, or "error: <message>" when any script error happened (also later, while
 * drawing); a headless browser test reads it.
 */

/** Runs first (before the library): any later script error is recorded on the body and shown. */
export const ERROR_HOOK_SCRIPT = String.raw`(function () {
  'use strict';
  window.onerror = function (message, source, line) {
    var text = String(message) + (line ? ' (line ' + line + ')' : '');
    document.body.setAttribute('data-rendered', 'error: ' + text);
    var box = document.getElementById('script-error');
    if (box) { box.textContent = 'Chart script error: ' + text; box.hidden = false; }
  };
})();`;

/** Builds the charts from the embedded data. */
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var body = document.body;
  function fail(message) {
    body.setAttribute('data-rendered', 'error: ' + message);
    var box = document.getElementById('script-error');
    if (box) { box.textContent = 'The charts could not be drawn: ' + message; box.hidden = false; }
  }
  function hasFailed() { return /^error/.test(body.getAttribute('data-rendered') || ''); }

  var ZONE_STYLE = {
    long: { fill: 'rgba(46,125,50,0.13)', stroke: 'rgba(46,125,50,0.75)' },
    short: { fill: 'rgba(198,40,40,0.13)', stroke: 'rgba(198,40,40,0.75)' }
  };
  var LEVEL_STYLE = {
    liquidation: { color: '#6a1b9a', dash: [5, 3], label: 'liq' },
    stop: { color: '#c62828', dash: [], label: 'stop' },
    target: { color: '#2e7d32', dash: [2, 2], label: 'tgt' }
  };

  // x of a fractional logical index. timeScale().logicalToCoordinate takes whole indices only
  // (it returns 0 for 7.5), so interpolate between the two neighbouring bars.
  function xOf(ts, logical) {
    var f = Math.floor(logical);
    var a = ts.logicalToCoordinate(f);
    if (a === null || logical === f) return a;
    var b = ts.logicalToCoordinate(f + 1);
    return b === null ? null : a + (logical - f) * (b - a);
  }

  // Zone rectangles, drawn below the candles (zOrder 'bottom').
  class ZonesRenderer {
    constructor(view) { this._view = view; }
    draw(target) {
      var rects = this._view.rects;
      if (!rects.length) return;
      target.useBitmapCoordinateSpace(function (scope) {
        var ctx = scope.context, hr = scope.horizontalPixelRatio, vr = scope.verticalPixelRatio;
        var W = scope.bitmapSize.width;
        ctx.save();
        for (var i = 0; i < rects.length; i++) {
          var r = rects[i];
          var left = Math.round(r.x0 * hr);
          var right = r.x1 === null ? W : Math.round(r.x1 * hr);
          if (right < 0 || left > W) continue;
          var top = Math.round(Math.min(r.y0, r.y1) * vr);
          var bottom = Math.round(Math.max(r.y0, r.y1) * vr);
          var w = Math.max(1, right - left), h = Math.max(1, bottom - top);
          ctx.fillStyle = r.fill;
          ctx.fillRect(left, top, w, h);
          ctx.lineWidth = Math.max(1, Math.floor(hr));
          ctx.strokeStyle = r.stroke;
          ctx.setLineDash(r.dashed ? [Math.round(4 * hr), Math.round(3 * hr)] : []);
          ctx.strokeRect(left + 0.5, top + 0.5, Math.max(0, w - 1), Math.max(0, h - 1));
        }
        ctx.restore();
      });
    }
  }
  class ZonesView {
    constructor(source) { this._source = source; this.rects = []; this._renderer = new ZonesRenderer(this); }
    update() {
      var s = this._source, ts = s.chart.timeScale(), out = [];
      for (var i = 0; i < s.zones.length; i++) {
        var z = s.zones[i];
        var x0 = xOf(ts, z.x0);
        var x1 = z.x1 === null ? null : xOf(ts, z.x1);
        var y0 = s.series.priceToCoordinate(z.high), y1 = s.series.priceToCoordinate(z.low);
        if (x0 === null || y0 === null || y1 === null || (z.x1 !== null && x1 === null)) continue;
        var st = ZONE_STYLE[z.side] || ZONE_STYLE.long;
        out.push({ x0: x0, x1: x1, y0: y0, y1: y1, fill: st.fill, stroke: st.stroke, dashed: z.source === 'predicted' });
      }
      this.rects = out;
    }
    zOrder() { return 'bottom'; }
    renderer() { return this._renderer; }
  }

  // Liquidation price, stop and target of each trade: a segment from entry to exit.
  class LevelsRenderer {
    constructor(view) { this._view = view; }
    draw(target) {
      var segs = this._view.segs;
      if (!segs.length) return;
      target.useBitmapCoordinateSpace(function (scope) {
        var ctx = scope.context, hr = scope.horizontalPixelRatio, vr = scope.verticalPixelRatio;
        var W = scope.bitmapSize.width, H = scope.bitmapSize.height;
        ctx.save();
        ctx.font = Math.round(10 * vr) + 'px sans-serif';
        ctx.textBaseline = 'bottom';
        for (var i = 0; i < segs.length; i++) {
          var g = segs[i];
          var left = Math.round(g.x0 * hr), right = Math.round(g.x1 * hr);
          if (right - left < 8 * hr) { var mid = (left + right) / 2; left = Math.round(mid - 4 * hr); right = Math.round(mid + 4 * hr); }
          var y = Math.round(g.y * vr) + 0.5;
          if (right < 0 || left > W || y < 0 || y > H) continue;
          ctx.strokeStyle = g.color;
          ctx.lineWidth = Math.max(1, Math.floor(hr));
          ctx.setLineDash(g.dash.map(function (d) { return Math.round(d * hr); }));
          ctx.beginPath();
          ctx.moveTo(left, y);
          ctx.lineTo(right, y);
          ctx.stroke();
          ctx.fillStyle = g.color;
          ctx.fillText(g.label, left, y - 1);
        }
        ctx.restore();
      });
    }
  }
  class LevelsView {
    constructor(source) { this._source = source; this.segs = []; this._renderer = new LevelsRenderer(this); }
    update() {
      var s = this._source, ts = s.chart.timeScale(), out = [];
      for (var i = 0; i < s.levels.length; i++) {
        var l = s.levels[i];
        var x0 = xOf(ts, l.x0), x1 = xOf(ts, l.x1);
        var y = s.series.priceToCoordinate(l.price);
        if (x0 === null || x1 === null || y === null) continue;
        var st = LEVEL_STYLE[l.kind] || LEVEL_STYLE.stop;
        out.push({ x0: x0, x1: x1, y: y, color: st.color, dash: st.dash, label: st.label + ' #' + l.tradeId });
      }
      this.segs = out;
    }
    zOrder() { return 'normal'; }
    renderer() { return this._renderer; }
  }

  // The series primitive: owns the data and the autoscale; the views map to pixels; the renderers paint.
  class BandsPrimitive {
    constructor(zones, levels) {
      this.zones = zones;
      this.levels = levels;
      this.chart = null;
      this.series = null;
      this.fitLevels = false;
      this._requestUpdate = null;
      this._views = [new ZonesView(this), new LevelsView(this)];
    }
    attached(param) { this.chart = param.chart; this.series = param.series; this._requestUpdate = param.requestUpdate; }
    detached() { this.chart = null; this.series = null; this._requestUpdate = null; }
    updateAllViews() { if (!this.chart || !this.series) return; for (var i = 0; i < this._views.length; i++) this._views[i].update(); }
    paneViews() { return this._views; }
    autoscaleInfo(start, end) {
      if (!this.fitLevels) return null;
      var lo = Infinity, hi = -Infinity;
      for (var i = 0; i < this.levels.length; i++) {
        var l = this.levels[i];
        if (l.x1 < start || l.x0 > end) continue;
        if (l.price < lo) lo = l.price;
        if (l.price > hi) hi = l.price;
      }
      return lo <= hi ? { priceRange: { minValue: lo, maxValue: hi } } : null;
    }
    setFitLevels(on) { this.fitLevels = !!on; if (this._requestUpdate) this._requestUpdate(); }
  }

  function chartOptions(LWC) {
    return {
      autoSize: true,
      layout: {
        background: { type: LWC.ColorType ? LWC.ColorType.Solid : 'solid', color: '#ffffff' },
        textColor: '#1f2328',
        fontSize: 11,
        panes: { separatorColor: '#d0d7de' }
      },
      grid: { vertLines: { color: '#f0f2f5' }, horzLines: { color: '#f0f2f5' } },
      rightPriceScale: { borderColor: '#d0d7de' },
      timeScale: { borderColor: '#d0d7de', timeVisible: true, secondsVisible: false },
      crosshair: { mode: LWC.CrosshairMode ? LWC.CrosshairMode.Normal : 0 }
    };
  }

  function main() {
    var LWC = window.LightweightCharts;
    if (!LWC) { fail('the lightweight-charts library did not load'); return; }
    var dataEl = document.getElementById('report-data');
    if (!dataEl) { fail('no #report-data element'); return; }
    var c = JSON.parse(dataEl.textContent).charts;
    var built = [];

    var eqEl = document.getElementById('chart-equity');
    if (eqEl && c.equity.length > 0) {
      // Equity holds its value until the next point (as in the metrics), so draw steps.
      var STEPS = LWC.LineType ? LWC.LineType.WithSteps : 1;
      var eqChart = LWC.createChart(eqEl, chartOptions(LWC));
      var eqSeries = eqChart.addSeries(LWC.LineSeries, {
        color: '#1f4e9c', lineWidth: 2, title: 'equity', lineType: STEPS,
        priceFormat: { type: 'price', precision: 2, minMove: 0.01 }
      });
      eqSeries.setData(c.equity);
      var ddSeries = eqChart.addSeries(LWC.AreaSeries, {
        lineColor: '#c62828', lineWidth: 1, topColor: 'rgba(198,40,40,0.25)', bottomColor: 'rgba(198,40,40,0.25)',
        invertFilledArea: true, title: 'drawdown %', lineType: STEPS, lastValueVisible: true, priceLineVisible: false,
        priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
        // 0 always at the top; a run without drawdown still gets a 0..-1% scale (not a degenerate one).
        autoscaleInfoProvider: function (original) {
          var r = original();
          if (!r || !r.priceRange) return r;
          r.priceRange.maxValue = 0;
          if (!(r.priceRange.minValue < 0)) r.priceRange.minValue = -1;
          return r;
        }
      }, 1);
      ddSeries.setData(c.drawdown);
      // Drawdown is <= 0: put 0 at the top edge so the inverted fill is exactly the underwater area.
      ddSeries.priceScale().applyOptions({ scaleMargins: { top: 0, bottom: 0.05 } });
      var panes = eqChart.panes();
      if (panes.length > 1) panes[1].setHeight(120);
      eqChart.timeScale().fitContent();
      built.push('equity');
    }

    var pxEl = document.getElementById('chart-price');
    if (pxEl && c.bars.length > 0) {
      var pxOptions = chartOptions(LWC);
      pxOptions.timeScale.maxBarSpacing = 30; // a run with a handful of bars keeps candle-sized candles
      var px = LWC.createChart(pxEl, pxOptions);
      var prec = c.priceDecimals;
      var candles = px.addSeries(LWC.CandlestickSeries, {
        upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350',
        priceFormat: { type: 'price', precision: prec, minMove: Math.pow(10, -prec) }
      });
      candles.setData(c.bars);
      candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.22 } });
      if (c.volume.length > 0) {
        var vol = px.addSeries(LWC.HistogramSeries, {
          priceScaleId: '', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false
        });
        vol.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
        vol.setData(c.volume);
      }
      if (c.markers.length > 0) LWC.createSeriesMarkers(candles, c.markers);
      var bands = new BandsPrimitive(c.zones, c.levels);
      candles.attachPrimitive(bands);
      var fit = document.getElementById('fit-levels');
      if (fit) {
        fit.addEventListener('change', function () {
          bands.setFitLevels(fit.checked);
          px.priceScale('right').applyOptions({ autoScale: true });
        });
      }
      px.timeScale().fitContent();
      built.push('price');
    }

    body.setAttribute('data-charts', built.join(','));
    if (!hasFailed()) body.setAttribute('data-rendered', 'ok');
  }

  try { main(); } catch (e) { fail(e && e.message ? e.message : String(e)); }
})();`;

// The console's only script of its own: draws each map (Leaflet, no online tiles: a blank map with the points).
// Points come from the element's data-points (WGS-84, one datum for the whole map). No inline script (CSP).
"use strict";
function drawMaps() {
  document.querySelectorAll("div.map[data-points]").forEach(function (element) {
    if (element.dataset.drawn) return;
    element.dataset.drawn = "1";
    var points = JSON.parse(element.dataset.points || "[]");
    if (!points.length || typeof L === "undefined") return;
    var map = L.map(element, {attributionControl: false, zoomSnap: 0.5});
    var bounds = [];
    points.forEach(function (p) {
      var marker = p.kind === "case"
        ? L.circleMarker([p.lat, p.lon], {radius: 9, color: "#b42318", weight: 3, fillOpacity: 0.6})
        : L.circleMarker([p.lat, p.lon], {radius: 6, color: "#0b57d0", weight: 2, fillOpacity: 0.5});
      var label = document.createElement("span");
      label.textContent = p.label;  // text, never HTML
      marker.bindTooltip(label).addTo(map);
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length === 1) {
      map.setView(bounds[0], 17);
    } else {
      map.fitBounds(bounds, {padding: [30, 30], maxZoom: 18});
    }
    L.control.scale({imperial: false}).addTo(map);
  });
}
document.addEventListener("DOMContentLoaded", drawMaps);
document.addEventListener("htmx:afterSettle", drawMaps);

// The command centre's wall map: street outlines (the union of their grids), open cases polled every few seconds
// from the server (clustered there below zoom 15), and a density shading of open cases per grid on request.
function drawCommand() {
  var element = document.getElementById("command-map");
  if (!element || element.dataset.drawn || typeof L === "undefined") return;
  element.dataset.drawn = "1";
  var pollMs = 1000 * parseInt(element.dataset.pollS || "5", 10);
  // zoomed out no further than the district and its surroundings (the map data refuses a bbox much larger)
  var map = L.map(element, {attributionControl: false, preferCanvas: true, zoomSnap: 0.5, minZoom: 9,
    maxBounds: [[22.4, 112.4], [24.2, 114.3]]});
  var outlines = L.geoJSON(null, {style: {color: "#123a6b", weight: 2, fill: true, fillOpacity: 0.03},
    onEachFeature: function (f, layer) { layer.bindTooltip(text(f.properties.name), {sticky: true}); }}).addTo(map);
  var density = L.geoJSON(null, {style: function () { return {}; }});
  var pins = L.layerGroup().addTo(map);
  var inFlight = false;
  function getJSON(url) {  // a request that hangs is given up after one poll interval (the next one retries)
    var control = new AbortController();
    var timer = window.setTimeout(function () { control.abort(); }, pollMs);
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}, signal: control.signal})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .finally(function () { window.clearTimeout(timer); });
  }
  function text(value) { var span = document.createElement("span"); span.textContent = value; return span; }
  function refresh() {
    if (inFlight) return;
    inFlight = true;
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
    getJSON(element.dataset.cases + "?bbox=" + bbox.join(",") + "&zoom=" + Math.round(map.getZoom()))
      .then(function (layer) {
        pins.clearLayers();
        layer.features.forEach(function (f) {
          var at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          if (f.properties.cluster) {
            var size = 24 + Math.min(30, Math.round(Math.log(f.properties.count + 1) * 6));
            var icon = L.divIcon({className: "cluster-icon", html: String(f.properties.count), iconSize: [size, size]});
            pins.addLayer(L.marker(at, {icon: icon, keyboard: false}).bindTooltip(text(f.properties.count + "")));
          } else {
            var late = f.properties.overdue;
            pins.addLayer(L.circleMarker(at, {radius: 6, weight: 2, color: late ? "#8a1c1c" : "#0b57d0",
              fillColor: late ? "#b42318" : "#0b57d0", fillOpacity: 0.7})
              .bindTooltip(text("#" + f.properties.id + " " + f.properties.status)));
          }
        });
        element.dataset.pins = String(layer.features.length);
        element.dataset.total = String(layer.total || layer.features.length);
      })
      .catch(function () { /* signed out or offline: the next poll tries again */ })
      .finally(function () { inFlight = false; });
  }
  var shading = false;
  function shown() { return document.getElementById("density-toggle").checked; }
  function shade() {
    if (!shown()) { map.removeLayer(density); return; }
    if (shading) return;
    shading = true;
    getJSON(element.dataset.density).then(function (data) {
      if (!shown()) return;  // switched off while the request was out
      density.clearLayers();
      density.options.style = function (f) {
        var share = data.most ? f.properties.open / data.most : 0;
        return {weight: 0.5, color: "#8a1c1c", fillColor: "#b42318", fillOpacity: 0.1 + 0.6 * share};
      };
      density.addData(data);
      density.addTo(map);
      outlines.bringToFront();
    }).catch(function () {}).finally(function () { shading = false; });
  }
  map.setView([23.28, 113.32], 11);  // Baiyun, until the outlines say exactly where
  getJSON(element.dataset.outlines).then(function (data) {
    outlines.addData(data);
    if (data.demo) document.getElementById("map-demo").hidden = false;
    var bounds = outlines.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, {padding: [10, 10]});
  }).catch(function () { /* the pins come anyway; the outlines on the next load */ });
  // one timer each for the page's life: a failed or slow request only skips its turn
  refresh();
  map.on("moveend", refresh);
  window.setInterval(refresh, pollMs);
  window.setInterval(shade, 6 * pollMs);
  document.getElementById("density-toggle").addEventListener("change", shade);
  L.control.scale({imperial: false}).addTo(map);
}

// The evaluation's weekly trend (ECharts, canvas: nothing inline that the CSP would refuse).
function drawTrend() {
  var element = document.getElementById("trend-chart");
  if (!element || element.dataset.drawn || typeof echarts === "undefined") return;
  element.dataset.drawn = "1";
  var t = JSON.parse(element.dataset.trend), labels = JSON.parse(element.dataset.labels);
  var chart = echarts.init(element);
  chart.setOption({
    animation: false,
    tooltip: {trigger: "axis", renderMode: "richText"},  // drawn on the canvas: no style attributes (CSP)
    legend: {data: [labels.accepted, labels.closed, labels.on_time_rate]},
    xAxis: {type: "category", data: t.weeks},
    yAxis: [{type: "value", minInterval: 1}, {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}}],
    series: [
      {name: labels.accepted, type: "bar", data: t.accepted},
      {name: labels.closed, type: "bar", data: t.closed},
      {name: labels.on_time_rate, type: "line", yAxisIndex: 1, data: t.on_time_rate, connectNulls: true}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}
document.addEventListener("DOMContentLoaded", drawCommand);
document.addEventListener("DOMContentLoaded", drawTrend);

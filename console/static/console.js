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

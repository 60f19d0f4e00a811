"""The one map (一张地图): GeoJSON layers with bbox filters and clustering, and per-street summary counts."""

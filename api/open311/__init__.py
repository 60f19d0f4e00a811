"""Open311 GeoReport v2: a standard façade over the case engine (a case source, not a second engine). docs/open311.md"""

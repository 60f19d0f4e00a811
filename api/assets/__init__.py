"""City components (部件) and materials (物资): registries imported from GeoJSON/CSV, shown on the map."""

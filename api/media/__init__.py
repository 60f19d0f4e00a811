"""Generic media (report photos, and later after-photos, verification photos, snapshots, signatures)."""

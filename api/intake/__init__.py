"""The automatic intake pipeline: score photos (photos.py) → decide per report (decide.py) → dispatch (dispatch.py).

Runs in RQ workers, one job per step (api/jobs.py), each idempotent; the model itself (backbone, text model,
fusion, training) is api/classification's.
"""

"""Transactional outbox: jobs are recorded with the change that causes them and handed to RQ after commit."""

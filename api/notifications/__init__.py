"""Subscribe messages to citizens (one-time quota per template), delivered by RQ jobs through wechatpy."""

"""wechatpy clients configured by base URL (the real WeChat, or miniprogram_mock); no business rules."""

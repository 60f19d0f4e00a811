"""WeChat Pay v3 (wechatpayv3, platform-public-key mode): prepay, query, close, refunds, bills, notifies."""

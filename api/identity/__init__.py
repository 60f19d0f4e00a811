"""Users (citizens and staff), roles and scopes, WeChat login, tokens and the access decorator."""

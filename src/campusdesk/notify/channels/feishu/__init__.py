"""Feishu (飞书) custom bots: the transport (``transport``)."""

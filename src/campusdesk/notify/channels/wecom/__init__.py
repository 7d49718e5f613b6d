"""WeCom (企业微信) group robots: the transport (``transport``)."""

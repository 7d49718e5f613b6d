"""DingTalk (钉钉) custom robots: the transport (``transport``)."""

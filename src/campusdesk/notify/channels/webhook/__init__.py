"""Outgoing webhooks: signed JSON documents of ticket events (``transport``)."""

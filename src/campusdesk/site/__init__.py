"""The site's top-level wiring: what needs every app, so it sits above the layers.

The demo loader, the navigation, the home page and the ``campusdesk demo`` command live
here rather than in ``core``, which imports no domain app (README, "Architecture").
"""

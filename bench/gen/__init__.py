"""The benchmark's data generator, a development tool outside the product (issue 17).

``python -m bench.gen --tickets N …`` from the repository's root (``__main__``); the
generator itself is ``load``. This package imports no model, so that ``__main__`` can set
Django up first.
"""

"""Returns gateway: moves reverse-logistics EDI (X12 180/856/214/997/TA1) and recall notices."""

__version__ = "0.1.0"

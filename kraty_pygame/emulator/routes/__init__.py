"""HTTP routes, one module per area (same names as ``kraty_pygame/sdk/resources``).

Routes stay thin: authenticate, parse, call ``domain`` inside a store transaction,
shape the envelope.
"""

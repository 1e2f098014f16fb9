"""The demo's tabs: one module per screen."""

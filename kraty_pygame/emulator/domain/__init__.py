"""Emulator domain logic, one module per area; routes call these inside transactions."""

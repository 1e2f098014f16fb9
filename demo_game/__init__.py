"""The kraty_pygame demo game (run with ``python -m demo_game``)."""

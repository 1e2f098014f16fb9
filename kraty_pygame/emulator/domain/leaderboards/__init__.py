"""Leaderboards: event boards, keyed boards, ranking, bots and finalization."""

"""Server-sent event streams: the leaderboard broadcaster and the inventory feed."""

"""The SDK's live streams: SSE parsing, the shared live-stream base, boards and inventory."""

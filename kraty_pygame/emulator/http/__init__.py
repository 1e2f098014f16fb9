"""HTTP plumbing: auth, middleware, responses, idempotency, request log, faults, limits."""

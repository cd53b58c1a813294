"""Platform plumbing shared by every feature module: clock, ids, errors, routing, rate limits,
request log, outbox, faults, scheduler and the event bus."""

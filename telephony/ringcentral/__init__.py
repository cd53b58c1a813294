"""The only code that speaks HTTP to RingCentral: `client`, its typed `errors` and `types`, and
client-side rate-limit groups (`ratelimit`)."""

export {
  createRateLimiter,
  type RateDecision,
  type RateLimiter,
  ratelimitMigrations,
} from "./ratelimit.ts";

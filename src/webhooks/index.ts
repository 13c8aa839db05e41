export { type AttemptRef, type Job, nextStep, retryAfterMs, type Step } from "./delivery.ts";
export { webhookLimits } from "./limits.ts";
export { webhookMigrations } from "./migrations.ts";
export * from "./model.ts";
export { webhookProblems } from "./problems.ts";
export { newSecret, signatureOf, signedHeaders } from "./signing.ts";
export { matches } from "./subscriptions.ts";
export { createWebhooks, type Webhooks, type WebhooksDeps } from "./webhooks.ts";

export * from "./machine.ts";
export { orderMigrations } from "./migrations.ts";
export * from "./model.ts";
export { type Actor, createOrders, type NewOrder, type Orders } from "./orders.ts";
export { orderProblems } from "./problems.ts";

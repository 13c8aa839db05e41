import { defineProblems } from "../kernel/problem.ts";

/** Problems raised by the ledger module. */
export const ledgerProblems = defineProblems({
  LEDGER_ACCOUNT_NOT_FOUND: { status: 404, title: "The ledger account does not exist" },
  LEDGER_ASSET_UNKNOWN: { status: 400, title: "The asset is not one this hub keeps" },
  LEDGER_ASSET_MISMATCH: { status: 422, title: "The accounts and amount are in different assets" },
  LEDGER_INSUFFICIENT_FUNDS: { status: 422, title: "The account does not have enough funds" },
  LEDGER_BALANCE_OVERFLOW: { status: 422, title: "The credit would overflow the account balance" },
  LEDGER_AMOUNT_INVALID: { status: 400, title: "The amount is not valid" },
  LEDGER_TRANSFER_INVALID: { status: 400, title: "The transfer is not valid" },
  LEDGER_TRANSFER_CONFLICT: {
    status: 409,
    title: "A transfer with this id exists with different fields",
  },
  LEDGER_HOLD_NOT_FOUND: { status: 404, title: "The hold does not exist" },
  LEDGER_HOLD_CLOSED: { status: 409, title: "The hold was already posted or voided" },
  LEDGER_HOLD_EXPIRED: { status: 409, title: "The hold has expired" },
  LEDGER_LINKED_BATCH_FAILED: { status: 422, title: "A linked batch failed as a whole" },
});

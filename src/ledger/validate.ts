import { limits } from "../kernel/limits.ts";
import type { TransferInput, TransferResultCode } from "./model.ts";

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** Checks a transfer's own fields before touching the database. */
export function validateTransferInput(input: TransferInput): TransferResultCode | null {
  if (input.id.length > limits.transfer_id_chars_max || !ID_PATTERN.test(input.id)) {
    return "id_invalid";
  }
  if (
    input.metadata !== undefined &&
    Buffer.byteLength(JSON.stringify(input.metadata)) > limits.metadata_json_bytes_max
  ) {
    return "metadata_too_large";
  }
  if (input.op === "transfer" || input.op === "hold") {
    if (input.amount_minor <= 0n) return "amount_must_be_positive";
    if (input.amount_minor > limits.amount_minor_max) return "amount_too_large";
    if (input.debit_account_id === input.credit_account_id) return "accounts_must_differ";
    if (input.code.length === 0 || input.code.length > limits.transfer_code_chars_max) {
      return "id_invalid";
    }
    if (
      input.op === "hold" &&
      input.timeout_ms !== undefined &&
      (!Number.isInteger(input.timeout_ms) ||
        input.timeout_ms <= 0 ||
        input.timeout_ms > limits.hold_timeout_ms_max)
    ) {
      return "timeout_invalid";
    }
  }
  if (input.op === "post" && input.amount_minor !== undefined && input.amount_minor <= 0n) {
    return "amount_must_be_positive";
  }
  return null;
}

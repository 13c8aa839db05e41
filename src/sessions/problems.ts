import { kernelProblems } from "../kernel/problems.ts";

/**
 * The problems of console sign-in. They are protocol-level (any route may answer
 * SESSION_INVALID or CSRF_TOKEN_INVALID), so they live in the kernel catalogue; this names them
 * for the module.
 */
export const sessionProblems = {
  SIWE_MESSAGE_INVALID: kernelProblems.SIWE_MESSAGE_INVALID,
  SIWE_NONCE_INVALID: kernelProblems.SIWE_NONCE_INVALID,
  SIWE_SIGNATURE_INVALID: kernelProblems.SIWE_SIGNATURE_INVALID,
  SESSION_INVALID: kernelProblems.SESSION_INVALID,
  CSRF_TOKEN_INVALID: kernelProblems.CSRF_TOKEN_INVALID,
} as const;

export { type SignedAnnounce, signAnnounce, verifyAnnounce } from "./announce.ts";
export {
  canonicalAnnounce,
  canonicalManifest,
  canonicalReceiptV1,
  canonicalReceiptV2,
  manifestDigest,
  receiptV2FieldsDigest,
} from "./canonical.ts";
export {
  AimpKeyError,
  type AimpKeyPair,
  generateAimpKeyPair,
  privateKeyFromSeed,
  publicKeyFromBase64,
  publicKeyToBase64,
} from "./keys.ts";
export { signManifest, verifyManifest } from "./manifest.ts";
export * from "./model.ts";
export {
  compareCodePoints,
  PY_JSON_DEPTH_MAX,
  PyFloat,
  PyJsonError,
  type PyJsonObject,
  type PyJsonValue,
  type PyNumber,
  type PySeparators,
  pyJsonDumps,
  pyNumberText,
  pythonFloatRepr,
} from "./pyjson.ts";
export { parsePyJson } from "./pyjson-parse.ts";
export {
  signReceiptV1,
  signReceiptV2,
  unsignedReceiptFields,
  verifyReceipt,
  verifyReceiptV1,
  verifyReceiptV2,
} from "./receipts.ts";
export { parseWellKnown, type WellKnownParse } from "./well-known.ts";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** The multicodec varint of an Ed25519 public key (0xed), as did:key prefixes it. */
const ED25519_PUB = [0xed, 0x01];

/** Bitcoin base58 of bytes (leading zero bytes become leading '1's). */
export function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET.charAt(Number(n % 58n)) + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** Bytes of bitcoin base58 text, or null when a character is not in the alphabet. */
export function base58Decode(text: string): Uint8Array | null {
  let n = 0n;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return null;
    n = n * 58n + BigInt(digit);
  }
  const body: number[] = [];
  while (n > 0n) {
    body.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  let zeros = 0;
  while (text[zeros] === "1") zeros++;
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...body]);
}

/** The 32-byte Ed25519 public key inside `did:key:z6Mk…`, or null for any other did:key. */
export function ed25519KeyOfDid(did: string): Uint8Array | null {
  if (!did.startsWith("did:key:z") || did.length > 100) return null;
  const bytes = base58Decode(did.slice("did:key:z".length));
  const codecOk = bytes?.[0] === ED25519_PUB[0] && bytes?.[1] === ED25519_PUB[1];
  if (bytes?.length !== 34 || !codecOk) return null;
  return bytes.slice(2);
}

/** `did:key:z6Mk…` of a raw 32-byte Ed25519 public key. */
export function didKeyOfEd25519(publicKey: Uint8Array): string {
  return `did:key:z${base58Encode(Uint8Array.from([...ED25519_PUB, ...publicKey]))}`;
}

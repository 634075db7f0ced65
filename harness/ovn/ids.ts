/**
 * Object names as ovn-kubernetes hashes them (go-controller/pkg/util.HashForOVN). Pure: shared by
 * the EgressIP check and the embedded cluster's ovnkube (sim/ may import pure harness modules).
 */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a 64-bit of the UTF-8 bytes, as decimal (Go hash/fnv New64a + strconv.FormatUint). */
export function fnv1a64(s: string): string {
  let h = FNV_OFFSET;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h.toString();
}

/** util.HashForOVN: "a" + FNV-1a-64 (Address_Set names, among others). */
export function hashForOVN(s: string): string {
  return `a${fnv1a64(s)}`;
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka checksums record batches. */
const POLYNOMIAL = 0x82f63b78;
const SLICES = 8;

/** TABLES[k * 256 + b]: the CRC of byte b followed by k zero bytes (slicing-by-8). */
const TABLES = (() => {
  const tables = new Int32Array(SLICES * 256);
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    tables[b] = crc;
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < SLICES; k++) {
      const previous = tables[(k - 1) * 256 + b]!;
      tables[k * 256 + b] = (previous >>> 8) ^ tables[previous & 0xff]!;
    }
  }
  return tables;
})();

/** The CRC-32C of `bytes`, eight bytes per step (kafkajs' own takes one). */
export function crc32c(bytes: Uint8Array): number {
  const t = TABLES;
  let crc = -1;
  let i = 0;
  const end8 = bytes.length - (bytes.length % SLICES);
  for (; i < end8; i += SLICES) {
    const low = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      t[7 * 256 + (low & 0xff)]! ^
      t[6 * 256 + ((low >>> 8) & 0xff)]! ^
      t[5 * 256 + ((low >>> 16) & 0xff)]! ^
      t[4 * 256 + (low >>> 24)]! ^
      t[3 * 256 + bytes[i + 4]!]! ^
      t[2 * 256 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * How often each key was used recently, approximately: a count-min sketch of 4-bit counters (four rows, the estimate
 * is the smallest of a key's four), halved every `10 × width` uses so old popularity fades (TinyLFU, Einziger et al.).
 * A few hundred KB for a cache of 50,000 entities.
 */
export class FrequencySketch {
  private readonly table: Uint8Array;
  private readonly mask: number;
  private readonly sampleSize: number;
  private additions = 0;

  constructor(expectedKeys: number) {
    let width = 64;
    while (width < expectedKeys) width *= 2;
    this.table = new Uint8Array(width * 4);
    this.mask = width - 1;
    this.sampleSize = width * 10;
  }

  increment(key: string): void {
    const hash = hashOf(key);
    let added = false;
    for (let row = 0; row < 4; row++) {
      const index = this.indexOf(hash, row);
      const count = this.table[index]!;
      if (count < 15) {
        this.table[index] = count + 1;
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.halve();
  }

  frequency(key: string): number {
    const hash = hashOf(key);
    let least = 15;
    for (let row = 0; row < 4; row++) least = Math.min(least, this.table[this.indexOf(hash, row)]!);
    return least;
  }

  private indexOf(hash: number, row: number): number {
    // one hash, four rows: each row mixes it with its own odd constant
    const mixed = Math.imul(hash ^ (hash >>> 15), ROW_SEEDS[row]!);
    return row * (this.mask + 1) + ((mixed ^ (mixed >>> 13)) & this.mask);
  }

  private halve(): void {
    for (let i = 0; i < this.table.length; i++) this.table[i] = this.table[i]! >> 1;
    this.additions = Math.floor(this.additions / 2);
  }
}

const ROW_SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f];

/** FNV-1a over UTF-16 code units. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash;
}

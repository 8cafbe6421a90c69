// The BPE model of an HF tokenizer.json, applied synchronously to one pre-tokenized word.
//
// Why this exists: the npm `tokenizers` package only offers `encode` as a Promise, while the product's
// TextTokenizer.encode is synchronous. Normalization, pre-tokenization and decoding are available
// synchronously from the package and are used from there; the BPE merge loop is reimplemented here,
// following huggingface/tokenizers `models/bpe/model.rs` (merge_word, tokenize_with_cache) and
// `models/bpe/word.rs` (merge_all): symbols are the word's characters (with continuing-subword prefix
// and end-of-word suffix), unknown characters go to byte fallback `<0xXX>` or the (optionally fused) unk
// token, then merges are applied lowest rank first, ties broken by leftmost position. The test suite
// checks the result against the package's own `encode` on real text.

export interface BpeModelJson {
  type?: string;
  vocab: Record<string, number>;
  merges: Array<string | [string, string]>;
  unk_token?: string | null;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
  fuse_unk?: boolean;
  byte_fallback?: boolean;
  ignore_merges?: boolean;
  dropout?: number | null;
}

interface MergeEntry {
  rank: number;
  newId: number;
}

/** Min-heap of candidate merges ordered by (rank, position). */
class MergeQueue {
  private ranks: number[] = [];
  private positions: number[] = [];
  private newIds: number[] = [];

  get size(): number {
    return this.ranks.length;
  }

  push(rank: number, pos: number, newId: number): void {
    this.ranks.push(rank);
    this.positions.push(pos);
    this.newIds.push(newId);
    let i = this.ranks.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the smallest entry and returns [rank, pos, newId]. Call only when size > 0. */
  pop(): [number, number, number] {
    const top: [number, number, number] = [this.ranks[0]!, this.positions[0]!, this.newIds[0]!];
    const last = this.ranks.length - 1;
    this.swap(0, last);
    this.ranks.pop();
    this.positions.pop();
    this.newIds.pop();
    let i = 0;
    const n = this.ranks.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ra = this.ranks[a]!;
    const rb = this.ranks[b]!;
    return ra < rb || (ra === rb && this.positions[a]! < this.positions[b]!);
  }

  private swap(a: number, b: number): void {
    [this.ranks[a], this.ranks[b]] = [this.ranks[b]!, this.ranks[a]!];
    [this.positions[a], this.positions[b]] = [this.positions[b]!, this.positions[a]!];
    [this.newIds[a], this.newIds[b]] = [this.newIds[b]!, this.newIds[a]!];
  }
}

export class BpeModel {
  readonly vocab: Map<string, number>;
  private readonly merges = new Map<number, MergeEntry>();
  /** Pair key -> merge; key = leftId * pairStride + rightId (exact in a double for vocabularies < 2^26). */
  private readonly pairStride: number;
  private readonly unkId: number | null;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly fuseUnk: boolean;
  private readonly byteFallback: boolean;
  private readonly ignoreMerges: boolean;
  private readonly cache = new Map<string, number[]>();
  private static readonly cacheLimit = 100_000;

  /** `where` names the file for error messages. */
  constructor(model: BpeModelJson, where: string) {
    if (model.dropout != null && model.dropout > 0) {
      throw new Error(`${where}: BPE dropout (${model.dropout}) is not supported; set model.dropout to null for deterministic encoding`);
    }
    if (!model.vocab || typeof model.vocab !== 'object') throw new Error(`${where}: model.vocab is missing`);
    if (!Array.isArray(model.merges)) throw new Error(`${where}: model.merges is missing or not a list`);
    this.vocab = new Map(Object.entries(model.vocab));
    let maxId = 0;
    for (const id of this.vocab.values()) maxId = Math.max(maxId, id);
    this.pairStride = maxId + 1;
    this.prefix = model.continuing_subword_prefix ?? '';
    this.suffix = model.end_of_word_suffix ?? '';
    this.fuseUnk = model.fuse_unk ?? false;
    this.byteFallback = model.byte_fallback ?? false;
    this.ignoreMerges = model.ignore_merges ?? false;
    if (model.unk_token != null) {
      const id = this.vocab.get(model.unk_token);
      if (id === undefined) throw new Error(`${where}: model.unk_token "${model.unk_token}" is not in model.vocab`);
      this.unkId = id;
    } else {
      this.unkId = null;
    }
    model.merges.forEach((merge, rank) => {
      const [left, right] = parseMerge(merge, rank, where);
      const leftId = this.vocab.get(left);
      const rightId = this.vocab.get(right);
      const merged = left + right.slice(this.prefix.length);
      const newId = this.vocab.get(merged);
      if (leftId === undefined || rightId === undefined || newId === undefined) {
        const missing = [left, right, merged].find((t) => !this.vocab.has(t));
        throw new Error(`${where}: model.merges[${rank}] ("${left}" + "${right}") uses "${missing}", which is not in model.vocab`);
      }
      // Later duplicates overwrite earlier ones, as in the Rust HashMap construction.
      this.merges.set(leftId * this.pairStride + rightId, { rank, newId });
    });
  }

  /** Token ids of one pre-tokenized word. */
  tokenize(word: string): number[] {
    if (word.length === 0) return [];
    const cached = this.cache.get(word);
    if (cached) return cached;
    let ids: number[];
    const whole = this.ignoreMerges ? this.vocab.get(word) : undefined;
    if (whole !== undefined) ids = [whole];
    else ids = this.mergeAll(this.initialSymbols(word));
    if (this.cache.size >= BpeModel.cacheLimit) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  /** The word's characters as ids, before any merge (model.rs merge_word). */
  private initialSymbols(word: string): number[] {
    const chars = Array.from(word);
    const symbols: number[] = [];
    let pendingUnk = false;
    const flushUnk = () => {
      if (pendingUnk && this.unkId !== null) symbols.push(this.unkId);
      pendingUnk = false;
    };
    chars.forEach((ch, i) => {
      let piece = ch;
      if (i > 0) piece = this.prefix + piece;
      if (i === chars.length - 1) piece = piece + this.suffix;
      const id = this.vocab.get(piece);
      if (id !== undefined) {
        flushUnk();
        symbols.push(id);
        return;
      }
      if (this.byteFallback) {
        const bytes = new TextEncoder().encode(piece);
        const byteIds = Array.from(bytes, (b) => this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
        if (byteIds.every((b) => b !== undefined)) {
          flushUnk();
          symbols.push(...(byteIds as number[]));
          return;
        }
      }
      if (this.unkId === null) return; // as in HF: without an unk token the character produces nothing
      if (pendingUnk && !this.fuseUnk) symbols.push(this.unkId);
      pendingUnk = true;
    });
    flushUnk();
    return symbols;
  }

  /** word.rs merge_all without dropout. */
  private mergeAll(ids: number[]): number[] {
    const n = ids.length;
    if (n < 2) return ids;
    const sym = Int32Array.from(ids);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const queue = new MergeQueue();
    for (let i = 0; i + 1 < n; i++) {
      const m = this.merges.get(sym[i]! * this.pairStride + sym[i + 1]!);
      if (m) queue.push(m.rank, i, m.newId);
    }
    while (queue.size > 0) {
      const [, pos, newId] = queue.pop();
      if (!alive[pos]) continue;
      const right = next[pos]!;
      if (right === -1) continue;
      const current = this.merges.get(sym[pos]! * this.pairStride + sym[right]!);
      if (!current || current.newId !== newId) continue; // expired entry
      sym[pos] = newId;
      alive[right] = 0;
      const after = next[right]!;
      next[pos] = after;
      if (after !== -1) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) {
        const m = this.merges.get(sym[before]! * this.pairStride + newId);
        if (m) queue.push(m.rank, before, m.newId);
      }
      if (after !== -1) {
        const m = this.merges.get(newId * this.pairStride + sym[after]!);
        if (m) queue.push(m.rank, pos, m.newId);
      }
    }
    const out: number[] = [];
    for (let i = 0; i !== -1; i = next[i]!) out.push(sym[i]!);
    return out;
  }
}

function parseMerge(merge: string | [string, string], rank: number, where: string): [string, string] {
  if (Array.isArray(merge)) {
    if (merge.length === 2 && typeof merge[0] === 'string' && typeof merge[1] === 'string') return [merge[0], merge[1]];
  } else if (typeof merge === 'string') {
    // Legacy "left right" form: split on the first space (tokens of this form never contain one).
    const space = merge.indexOf(' ');
    if (space > 0) return [merge.slice(0, space), merge.slice(space + 1)];
  }
  throw new Error(`${where}: model.merges[${rank}] must be "left right" or ["left", "right"], got ${JSON.stringify(merge)}`);
}

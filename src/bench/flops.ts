// Model FLOPs per trained token, counted from the parameters that take part in matrix products:
//   forward            2 x M             (M: matmul weights a token passes through, adapters included)
//   backward, inputs   2 x M             (gradients flow through frozen layers too)
//   backward, weights  2 x Mt            (Mt: trainable matmul weights)
//   attention          12 x L x T x d    (scores and values, forward + backward; PaLM's convention,
//                                        T = sequence length, d = heads x head dim, causal halving ignored)
// Full finetuning gives PaLM's 6M + 12LTd; LoRA gives 4M + 2 x (LoRA weights) + 12LTd. Embedding lookups
// are not products and are left out; a tied lm_head counts as the vocabulary projection it is.
// Per method: LoRA/DoRA A and B and the bottleneck adapters' projections are products and count. What is
// not a product is left out even where it is stored 2-D: IA3's scaling vectors (ia3_l, [out, 1] or [1, in]:
// elementwise), DoRA's magnitudes, biases (BitFit) and the prompt/prefix encoder (prompt_encoder.*: an
// embedding lookup, and prefix tuning's MLP runs once per step on the virtual tokens, not per token).
// Not counted either: the extra positions of prompt tuning (its N virtual tokens go through every layer)
// and the extra keys/values of prefix tuning in attention; with N small against T the count is a slight
// underestimate for those two methods.
// Encoder-decoders (T5) count per source token: a source of S tokens and a target of T; decoder weights and
// the LM head work on the T target tokens only (weight T/S), and attention is the encoder's (S keys per
// source token) plus the decoder's self- and cross-attention (T and S keys per target token); the relative
// position-bias tables are lookups, not products.
import type { NativeModelConfig } from '../native/binding.js';

export interface ParameterInfo {
  name: string;
  shape: number[];
  trainable: boolean;
}

export interface FlopsPerToken {
  total: number;
  matmulParameters: number;
  trainableMatmulParameters: number;
  attention: number;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A weight matrix that multiplies every token's activations (see the header for what is left out). */
function isMatmulWeight(p: ParameterInfo): boolean {
  if (p.shape.length !== 2) return false;
  return (
    !p.name.endsWith('.ia3_l') &&
    !p.name.endsWith('.lora_magnitude_vector') &&
    !p.name.startsWith('prompt_encoder.') &&
    !p.name.endsWith('relative_attention_bias.weight') // T5's position-bias tables: lookups
  );
}

/** `seqLen`: tokens per row (T5: the source); `targetLen`: T5's target tokens per row. */
// A decoder's LM head runs only on the positions that are trained (`headShare` of them: the logits of masked
// positions are never computed), so it is counted for those alone.
export function trainingFlopsPerToken(params: ParameterInfo[], config: NativeModelConfig, seqLen: number, targetLen = seqLen, headShare = 1): FlopsPerToken {
  const t5 = config.modelType === 't5';
  const targetShare = t5 ? targetLen / seqLen : 1;
  let matmul = 0;
  let trainableMatmul = 0;
  for (const p of params) {
    if (!isMatmulWeight(p)) continue;
    const isEmbedding = p.name === 'model.embed_tokens.weight' || p.name === 'shared.weight';
    // The embedding matrix is a product only as the tied output projection.
    const asProjection = !isEmbedding || config.tieWordEmbeddings;
    if (!asProjection) continue;
    // T5: the decoder, the LM head (and the shared embedding as the tied head) see target tokens only.
    const isHead = p.name === 'lm_head.weight' || isEmbedding;
    const share = t5 ? (p.name.startsWith('decoder.') || isHead ? targetShare : 1) : isHead ? headShare : 1;
    matmul += numel(p.shape) * share;
    if (p.trainable) trainableMatmul += numel(p.shape) * share;
  }
  const attention = t5
    ? 12 * config.numHeads * config.dKv * (config.numLayers * seqLen + config.numDecoderLayers * targetShare * (targetLen + seqLen))
    : 12 * config.numHiddenLayers * seqLen * config.numAttentionHeads * config.headDim;
  return { total: 4 * matmul + 2 * trainableMatmul + attention, matmulParameters: matmul, trainableMatmulParameters: trainableMatmul, attention };
}

// Reading T5 config.json files as transformers' T5Config / MT5Config reads them, and the seq2seq module
// names and batches.
import { describe, expect, it } from 'vitest';
import { ConfigError, countParameters, parseModelConfig, toHfConfig } from '../src/models/config.js';
import { builtinModelConfig } from '../src/models/builtin.js';
import { linearModuleNames, moduleNameFor, peftTaskType } from '../src/models/module-names.js';
import { collateSeq2Seq, countSeq2SeqTargets } from '../src/data/seq2seq.js';
import { BatchSource } from '../src/data/batch-source.js';
import type { TrainingExample } from '../src/data/types.js';
import { resolveTrainOptions } from '../src/train/options.js';

describe('parseModelConfig: t5', () => {
  it('applies T5Config defaults (original T5: relu, tied and rescaled, decoding starts at the pad token)', () => {
    const c = parseModelConfig({ model_type: 't5' });
    expect(c).toEqual({
      modelType: 't5', vocabSize: 32128, dModel: 512, dKv: 64, dFf: 2048, numLayers: 6, numDecoderLayers: 6, numHeads: 8,
      relativeAttentionNumBuckets: 32, relativeAttentionMaxDistance: 128, dropoutRate: 0.1, layerNormEpsilon: 1e-6, initializerFactor: 1,
      denseActivation: 'relu', gatedActivation: false, tieWordEmbeddings: true, scaleDecoderOutputs: true, decoderStartTokenId: 0, padTokenId: 0,
    });
  });

  it('reads a T5 v1.1 / LM-adapt config (gated-gelu is the tanh GELU; untied means no rescale)', () => {
    const c = parseModelConfig({ model_type: 't5', d_model: 2048, d_kv: 64, d_ff: 5120, num_layers: 24, num_heads: 32, feed_forward_proj: 'gated-gelu', tie_word_embeddings: false, vocab_size: 32128 });
    expect(c).toMatchObject({ gatedActivation: true, denseActivation: 'gelu_new', tieWordEmbeddings: false, scaleDecoderOutputs: false, numDecoderLayers: 24 });
    // transformers 5 writes scale_decoder_outputs beside tie_word_embeddings: true.
    expect(parseModelConfig({ model_type: 't5', tie_word_embeddings: true, scale_decoder_outputs: false })).toMatchObject({ tieWordEmbeddings: true, scaleDecoderOutputs: false });
  });

  it('takes mT5 with MT5Config defaults', () => {
    expect(parseModelConfig({ model_type: 'mt5' })).toMatchObject({ vocabSize: 250112, dFf: 1024, numLayers: 8, numHeads: 6, gatedActivation: true });
  });

  it.each([
    [{ feed_forward_proj: 'swiglu' }, /config.json: feed_forward_proj is "swiglu"; supported activations are relu, gelu, gelu_new, silu/],
    [{ feed_forward_proj: 'gated-gelu-x' }, /feed_forward_proj is "gated-gelu-x"; expected/],
    [{ d_kv: 0 }, /config.json: d_kv must be a positive integer/],
    [{ relative_attention_num_buckets: 2 }, /relative_attention_num_buckets must be at least 4/],
    [{ dropout_rate: 1 }, /dropout_rate must be below 1/],
    [{ vocab_size: 10, pad_token_id: 12 }, /pad_token_id \(12\) must be a token id below vocab_size/],
  ])('names the field of a bad value: %j', (fields, message) => {
    expect(() => parseModelConfig({ model_type: 't5', ...fields }, 'config.json')).toThrow(ConfigError);
    expect(() => parseModelConfig({ model_type: 't5', ...fields }, 'config.json')).toThrow(message);
  });

  it('round-trips the built-in T5 preset through config.json and counts its parameters', () => {
    const c = builtinModelConfig('t5-tiny', 1000, 3);
    expect(parseModelConfig(toHfConfig(c))).toEqual(c);
    // shared 1000x256; per encoder block 4 attention 256x256, wi_0/wi_1/wo 256x640, 2 norms; decoder blocks twice the attention and 3 norms.
    const attention = 4 * 256 * 256;
    const ffn = 3 * 256 * 640;
    expect(countParameters(c)).toBe(1000 * 256 + 4 * (attention + ffn + 2 * 256) + 4 * (2 * attention + ffn + 3 * 256) + 2 * 256 + 2 * 32 * 4);
  });
});

describe('module names per architecture', () => {
  const t5 = parseModelConfig({ model_type: 't5', feed_forward_proj: 'gated-gelu' });
  const t5Relu = parseModelConfig({ model_type: 't5' });
  const llama = builtinModelConfig('tiny', 100);
  it('spells Llama-family names as T5 does on T5 and keeps every other name', () => {
    expect(['q_proj', 'v_proj', 'gate_proj', 'up_proj', 'down_proj', 'q', 'wo', 'custom'].map((n) => moduleNameFor(t5, n))).toEqual(['q', 'v', 'wi_0', 'wi_1', 'wo', 'q', 'wo', 'custom']);
    expect(moduleNameFor(t5Relu, 'gate_proj')).toBe('wi');
    expect(moduleNameFor(llama, 'q_proj')).toBe('q_proj');
    expect(linearModuleNames(t5Relu)).toEqual(['q', 'k', 'v', 'o', 'wi', 'wo']);
    expect([peftTaskType(t5), peftTaskType(llama)]).toEqual(['SEQ_2_SEQ_LM', 'CAUSAL_LM']);
  });
});

function example(source: number[], target: number[], id: string): TrainingExample {
  return {
    inputIds: Int32Array.from([...source, ...target]),
    labels: Int32Array.from([...source.map(() => -100), ...target]),
    task: 't',
    id,
    sourceLength: source.length,
  };
}

describe('seq2seq batches', () => {
  it('pads source and target apart; every target token counts', () => {
    const b = collateSeq2Seq([example([5, 6, 7], [8, 1], 'a'), example([9], [10, 11, 12, 1], 'b')], 0);
    expect([b.batchSize, b.seqLen, b.labelLen]).toEqual([2, 3, 4]);
    expect(Array.from(b.inputIds)).toEqual([5, 6, 7, 9, 0, 0]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(Array.from(b.labels)).toEqual([8, 1, -100, -100, 10, 11, 12, 1]);
    expect(b.targetTokens).toBe(6);
    expect(b.realTokens).toBe(10);
  });

  it('pads the shorter targets with the pad id when asked (the study\'s collator), and counts them as targets', () => {
    const b = collateSeq2Seq([example([5, 6, 7], [8, 1], 'a'), example([9], [10, 11, 12, 1], 'b')], 0, 0);
    expect(Array.from(b.labels)).toEqual([8, 1, 0, 0, 10, 11, 12, 1]);
    expect(b.targetTokens).toBe(8);
    expect(resolveTrainOptions({ recipe: 'study' }).labelPadding).toBe('pad');
    expect(resolveTrainOptions({}).labelPadding).toBe('ignore');
  });

  it('refuses examples without a source/target split (conversations), naming the example', () => {
    const conversation: TrainingExample = { inputIds: Int32Array.from([1, 2]), labels: Int32Array.from([-100, 2]), task: 'tulu', id: 'c7' };
    expect(() => collateSeq2Seq([conversation], 0)).toThrow(/example tulu\/c7 has no source\/target split/);
    expect(() => countSeq2SeqTargets(conversation)).toThrow(/tulu\/c7/);
  });

  it('groups by source length and refuses packing', () => {
    const examples = [example([1, 2, 3, 4, 5, 6], [7], 'long'), example([1], [2, 3, 4, 5, 6, 7, 8], 'short'), example([1, 2, 3, 4, 5], [6], 'l2'), example([1, 2], [3, 4, 5, 6, 7, 8], 's2')];
    const source = new BatchSource(examples, { batchSize: 2, padId: 0, seed: 1, groupByLength: true, seq2seq: true });
    const batches = [...source.batches(0)];
    // Long sources batch together, short ones together (the target lengths would pair them the other way).
    expect(batches.map((b) => b.seqLen).sort()).toEqual([2, 6]);
    expect(() => new BatchSource(examples, { batchSize: 2, padId: 0, seed: 1, packing: { maxTokens: 16 }, seq2seq: true })).toThrow(/packing does not apply to encoder-decoder/);
  });
});

// `peft-native bench`: the method list, the FLOP count (against a count written out from the model
// shapes by hand), the chart, and one real run through the CLI with a fresh process per method.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchMethods } from '../src/bench/method-spec.js';
import { trainingFlopsPerToken, type ParameterInfo } from '../src/bench/flops.js';
import { benchChartSvg } from '../src/bench/svg-chart.js';
import { summarizeTimes } from '../src/bench/stats.js';
import { builtinModelConfig } from '../src/models/builtin.js';
import { addonBuilt } from './helpers/addon.js';
import { runCli } from './helpers/cli.js';
import { native } from '../src/native/binding.js';

const built = addonBuilt(import.meta.filename);

describe('bench method list', () => {
  it('parses names and options, labelled as written, resolved as train resolves them', () => {
    const [full, lora8, lora64] = parseBenchMethods('full, lora:r=8,lora:r=64:targets=all-linear');
    expect(full).toEqual({ label: 'full', name: 'full', params: {}, settings: { method: 'full' } });
    expect(lora8).toMatchObject({ label: 'lora:r=8', name: 'lora', params: { r: '8' } });
    // alpha = r and q_proj+v_proj are train's defaults (src/train/method-options.ts); bench turns dropout off.
    expect(lora8!.settings).toEqual({ method: 'lora', lora: { r: 8, alpha: 8, dropout: 0, targets: { modules: ['q_proj', 'v_proj'] }, useRslora: false, init: 'kaiming' } });
    expect(lora64!.settings).toMatchObject({ lora: { r: 64, alpha: 64, targets: { modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] } } });
  });

  it('every method of train, with its options', () => {
    const parsed = parseBenchMethods('dora:r=4:alpha=8,ia3,adapter:size=16,adapter:rf=8,prompt:n=4,prefix:n=2:mlp=none,prefix,bitfit');
    expect(parsed.map((m) => m.settings)).toEqual([
      { method: 'dora', lora: { r: 4, alpha: 8, dropout: 0, targets: { modules: ['q_proj', 'v_proj'] }, useRslora: false, init: 'kaiming', useDora: true } },
      { method: 'ia3', ia3: { targets: { modules: ['k_proj', 'v_proj', 'down_proj'] }, feedforwardModules: ['down_proj'] } },
      { method: 'adapter', adapter: { placement: 'houlsby', size: { adapterSize: 16 }, activation: expect.any(String), init: expect.any(String) } },
      { method: 'adapter', adapter: expect.objectContaining({ size: { reductionFactor: 8 } }) },
      { method: 'prompt', prompt: { virtualTokens: 4, init: expect.any(String) } },
      { method: 'prefix', prefix: { virtualTokens: 2, projectionHiddenSize: null } },
      { method: 'prefix', prefix: { virtualTokens: 8, projectionHiddenSize: 512 } },
      { method: 'bitfit', bitfit: { targets: null, init: 'zeros' } },
    ]);
  });

  it('names the bad entry', () => {
    expect(() => parseBenchMethods('full,lorra')).toThrow(/unknown method "lorra"/);
    expect(() => parseBenchMethods('lora:rank=8')).toThrow(/lora has no option "rank"/);
    expect(() => parseBenchMethods('lora:r')).toThrow(/"r" is not key=value/);
    expect(() => parseBenchMethods('full,full')).toThrow(/twice/);
    expect(() => parseBenchMethods('full,,lora')).toThrow(/empty entry/);
    expect(() => parseBenchMethods('full:r=2')).toThrow(/takes no options/);
    expect(() => parseBenchMethods('ia3:r=2')).toThrow(/ia3 has no option "r"/);
    expect(() => parseBenchMethods('prompt:n=0')).toThrow(/"prompt:n=0": n must be a positive integer, got "0"/);
    expect(() => parseBenchMethods('prefix:mlp=big')).toThrow(/mlp must be a positive integer, got "big"/);
    // Validation is train's: the message is the one `train` gives, prefixed with the entry.
    expect(() => parseBenchMethods('adapter:size=8:rf=4')).toThrow(/"adapter:size=8:rf=4": give either --adapter-size or --reduction-factor, not both/);
    expect(() => parseBenchMethods('toString')).toThrow(/unknown method "toString"/);
    expect(() => parseBenchMethods('lora+ia3')).toThrow(/"lora\+ia3": --method lora\+ia3: LoRA and IA3 cannot be combined/);
  });

  it('takes a combination with its parts\' keys, under one name', () => {
    const [entry] = parseBenchMethods('adapter+lora:r=4:size=16');
    expect(entry!.name).toBe('lora+adapter');
    expect(entry!.settings).toMatchObject({ method: 'lora+adapter', parts: [{ method: 'lora', lora: { r: 4, dropout: 0 } }, { method: 'adapter', adapter: { size: { adapterSize: 16 } } }] });
  });
});

describe('training FLOPs per source token of a T5', () => {
  // The built-in T5 shape, written out: d_model 256, 4 heads of 64, gated FFN 640, 4 + 4 blocks, tied vocab 1000.
  const config = builtinModelConfig('t5-tiny', 1000);
  const [d, inner, ff, layers, vocab, S, T] = [256, 256, 640, 4, 1000, 128, 16];
  const encoderLinear = layers * (4 * d * inner + 3 * d * ff);
  const decoderLinear = layers * (8 * d * inner + 3 * d * ff) + vocab * d; // self + cross attention, FFN, the tied head
  it('is 6 x (encoder weights + T/S x decoder weights) plus the three attentions for full finetuning', async () => {
    const model = native().Model.create(config, { seed: 0 });
    model.enableFullFinetuning();
    const params = model.parameterNames().map((name) => ({ name, shape: model.parameterShape(name), trainable: true }));
    const f = trainingFlopsPerToken(params, config, S, T);
    const attention = 12 * inner * (layers * S + layers * (T / S) * (T + S));
    expect(f.total).toBeCloseTo(6 * (encoderLinear + (T / S) * decoderLinear) + attention, 6);
  });
});

describe('training FLOPs per token', () => {
  // The built-in tiny shape, written out: hidden 256, 4 layers, 4 heads of 64, 2 KV heads, MLP 688, tied vocab 1024.
  const config = builtinModelConfig('tiny', 1024);
  const [d, L, kv, inter, vocab, T] = [256, 4, 2 * 64, 688, 1024, 128];
  const perLayer = d * d /* q */ + 2 * d * kv /* k, v */ + d * d /* o */ + 3 * d * inter; /* gate, up, down */
  const linear = L * perLayer + vocab * d; // tied lm_head
  const attention = 12 * L * T * d;

  function params(trainable: (name: string) => boolean, lora?: number): ParameterInfo[] {
    const list: ParameterInfo[] = [{ name: 'model.embed_tokens.weight', shape: [vocab, d], trainable: trainable('model.embed_tokens.weight') }];
    for (let l = 0; l < L; l++) {
      const p = `model.layers.${l}`;
      const mats: Array<[string, number, number]> = [
        [`${p}.self_attn.q_proj`, d, d],
        [`${p}.self_attn.k_proj`, kv, d],
        [`${p}.self_attn.v_proj`, kv, d],
        [`${p}.self_attn.o_proj`, d, d],
        [`${p}.mlp.gate_proj`, inter, d],
        [`${p}.mlp.up_proj`, inter, d],
        [`${p}.mlp.down_proj`, d, inter],
      ];
      for (const [name, out, inp] of mats) {
        list.push({ name: `${name}.weight`, shape: [out, inp], trainable: trainable(name) });
        if (lora && (name.endsWith('q_proj') || name.endsWith('v_proj'))) {
          list.push({ name: `${name}.lora_A.weight`, shape: [lora, inp], trainable: true }, { name: `${name}.lora_B.weight`, shape: [out, lora], trainable: true });
        }
      }
      list.push({ name: `${p}.input_layernorm.weight`, shape: [d], trainable: trainable('norm') });
    }
    return list;
  }

  it('is 6N + 12LTd for full finetuning (PaLM)', () => {
    const f = trainingFlopsPerToken(params(() => true), config, T);
    expect(f.total).toBe(6 * linear + attention);
  });

  it('counts the LM head on trained positions only (SuperNI-shaped labels: 15% of them)', () => {
    const f = trainingFlopsPerToken(params(() => true), config, T, T, 0.15);
    expect(f.total).toBeCloseTo(6 * (L * perLayer + 0.15 * vocab * d) + attention, 6);
  });

  it('leaves out what is not a product: IA3 vectors, biases, DoRA magnitudes, the prompt encoder', () => {
    const extra: ParameterInfo[] = [];
    for (let l = 0; l < L; l++) {
      const p = `model.layers.${l}`;
      extra.push(
        { name: `${p}.self_attn.k_proj.ia3_l`, shape: [kv, 1], trainable: true },
        { name: `${p}.mlp.down_proj.ia3_l`, shape: [1, inter], trainable: true },
        { name: `${p}.self_attn.q_proj.bias`, shape: [d], trainable: true },
        { name: `${p}.self_attn.q_proj.lora_magnitude_vector`, shape: [1, d], trainable: true },
      );
    }
    extra.push({ name: 'prompt_encoder.embedding.weight', shape: [8, d], trainable: true }, { name: 'prompt_encoder.transform.0.weight', shape: [32, d], trainable: true });
    const f = trainingFlopsPerToken([...params(() => false), ...extra], config, T);
    expect(f.total).toBe(4 * linear + attention);
    expect(f.trainableMatmulParameters).toBe(0);
  });

  it('counts bottleneck adapters as products', () => {
    const m = 16;
    const adapters: ParameterInfo[] = [...Array(L)].flatMap((_, l) => [
      { name: `model.layers.${l}.attn_adapter.down_proj.weight`, shape: [m, d], trainable: true },
      { name: `model.layers.${l}.attn_adapter.up_proj.weight`, shape: [d, m], trainable: true },
      { name: `model.layers.${l}.attn_adapter.up_proj.bias`, shape: [d], trainable: true },
    ]);
    const f = trainingFlopsPerToken([...params(() => false), ...adapters], config, T);
    expect(f.total).toBe(4 * (linear + L * 2 * m * d) + 2 * (L * 2 * m * d) + attention);
  });

  it('is 4N + 6 x LoRA weights + 12LTd for LoRA on q and v', () => {
    const r = 8;
    const loraWeights = L * (r * (d + d) + r * (d + kv));
    const f = trainingFlopsPerToken(params(() => false, r), config, T);
    expect(f.total).toBe(4 * (linear + loraWeights) + 2 * loraWeights + attention);
  });
});

describe('bench helpers', () => {
  it('summarizes step times with interpolated quantiles', () => {
    const s = summarizeTimes([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ medianMs: 3, minMs: 1, maxMs: 5, count: 5 });
    expect(s.p10Ms).toBeCloseTo(1.4, 12);
    expect(s.p90Ms).toBeCloseTo(4.6, 12);
  });

  it('draws one bar per method in each panel, with labels escaped', () => {
    const svg = benchChartSvg('t', 's', 'peak RSS', [
      { label: 'full', tokensPerSec: 100, peakMemoryBytes: 2 ** 30 },
      { label: 'lora<r=8>', tokensPerSec: 150, peakMemoryBytes: 2 ** 29 },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect /g)!.length).toBe(1 + 2 * 2); // background + bars
    expect(svg).toContain('lora&lt;r=8&gt;');
    expect(svg).toContain('1024 MiB');
    expect(svg).not.toContain('<r=8>');
  });
});

describe.skipIf(!built)('peft-native bench (CLI, real runs)', () => {
  it('runs each method in its own process and writes the table, bench.json and bench.svg', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const r = runCli(
      ['bench', '--model', 'tiny', '--methods', 'full,lora:r=4', '--steps', '2', '--warmup', '1',
        '--batch-size', '2', '--seq-len', '32', '--threads', '1', '--peak-tflops', '1', '--out', out],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^method\s+step ms/m);
    const report = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8'));
    expect(report.results.map((x: { label: string }) => x.label)).toEqual(['full', 'lora:r=4']);
    const [full, lora] = report.results;
    expect(lora.trainableParameters).toBeLessThan(full.trainableParameters);
    expect(full.trainableParameters).toBe(full.totalParameters);
    for (const x of report.results) {
      expect(x.stepTimesMs).toHaveLength(2);
      expect(x.tokensPerSec).toBeGreaterThan(0);
      expect(x.peakRssBytes).toBeGreaterThan(50 * 2 ** 20);
      expect(x.mfu).toBeCloseTo(x.achievedFlopsPerSecond / 1e12, 12);
    }
    expect(readFileSync(path.join(out, 'bench.svg'), 'utf8')).toContain('lora:r=4');
  });

  it('--labels and --data: SuperNI-shaped batches train fewer tokens than every-token ones, data batches count real tokens', () => {
    const out = (name: string) => path.join(mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`)), 'o');
    const common = ['bench', '--model', 'tiny', '--methods', 'lora:r=4', '--steps', '2', '--warmup', '0', '--batch-size', '4', '--seq-len', '64', '--threads', '1', '--peak-tflops', '1'];
    const report = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8'));
    const [superni, all, data] = [out('superni'), out('all'), out('data')];
    for (const [dir, extra] of [[superni, []], [all, ['--labels', 'all']], [data, ['--data', 'builtin']]] as const) {
      const r = runCli([...common, ...extra, '--out', dir], { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
    }
    const [s, a, d] = [report(superni), report(all), report(data)];
    expect(s.labels).toBe('superni');
    expect(a.labels).toBe('all');
    // The same random tokens: fewer trained positions, fewer LM-head FLOPs.
    expect(s.results[0].flopsPerToken).toBeLessThan(a.results[0].flopsPerToken);
    expect(s.results[0].tokensPerStep).toBe(4 * 64);
    // The built-in data's examples are shorter than 64 tokens and padded per batch: real tokens only.
    expect(d.data).toBe('builtin');
    expect(d.results[0].tokensPerStep).toBeGreaterThan(0);
    expect(d.results[0].tokensPerStep).toBeLessThan(4 * 64);
    expect(Number.isFinite(d.results[0].firstLoss)).toBe(true);
    const bad = runCli(['bench', '--data', 'nosuch:thing']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--data/);
  });

  it('benchmarks the other methods: trainable counts as written out from the tiny shape', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bench-methods-'));
    const r = runCli(
      ['bench', '--model', 'tiny', '--methods', 'full,ia3,adapter:size=16,bitfit', '--steps', '1', '--warmup', '0',
        '--batch-size', '1', '--seq-len', '16', '--threads', '1', '--peak-tflops', '1', '--out', out],
      { timeoutMs: 180_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8'));
    const byLabel = Object.fromEntries(report.results.map((x: { label: string; trainableParameters: number }) => [x.label, x.trainableParameters]));
    // builtin:tiny: hidden 256, 4 layers, k/v width 128, MLP 688.
    const [d, L, kv, inter, m] = [256, 4, 128, 688, 16];
    expect(byLabel['ia3']).toBe(L * (kv + kv + inter)); // k, v outputs and down_proj's input
    expect(byLabel['bitfit']).toBe(L * (d + kv + kv + d + inter + inter + d)); // a bias per linear layer
    expect(byLabel['adapter:size=16']).toBe(L * 2 * (d * m + m + m * d + d)); // Houlsby: two per layer
    expect(byLabel['full']).toBeGreaterThan(byLabel['adapter:size=16']);
    for (const x of report.results) {
      expect(x.flopsPerToken).toBeGreaterThan(0);
      expect(x.tokensPerSec).toBeGreaterThan(0);
    }
  });

  it('rejects a bad method list with a clear message; --help lists every method', () => {
    const help = runCli(['bench', '--help']);
    for (const m of ['full', 'lora[', 'dora[', 'ia3', 'adapter[:size=...][:rf=...]', 'prompt[:n=...]', 'prefix[:n=...][:mlp=...]', 'bitfit']) expect(help.stdout).toContain(m);
    expect(help.stdout).toMatch(/virtual tokens of prompt\/prefix tuning are not counted/);
    const bad = runCli(['bench', '--methods', 'full,lorra']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown method "lorra"/);
  });
});

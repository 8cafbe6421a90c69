// Text generation (src/eval/generate.ts), the SuperNI evaluation (src/eval/superni-eval.ts), the loss /
// perplexity evaluation, and loading PEFT LoRA adapters for it (src/peft/methods.ts loadAdapter).
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/models/load.js';
import { generateTexts } from '../src/eval/generate.js';
import { evaluateSuperNI } from '../src/eval/superni-eval.js';
import { evaluateLoss } from '../src/eval/loss.js';
import { aggregateScores, scoreInstance } from '../src/eval/metrics/index.js';
import { loadTrainingData } from '../src/data/sources.js';
import { buildSuperNIPrompt } from '../src/data/superni/prompt.js';
import { readSuperNITask } from '../src/data/superni/task.js';
import { builtinTasks } from '../src/builtin/index.js';
import { loadAdapter } from '../src/peft/methods.js';
import { readModelConfig } from '../src/models/config.js';
import { superniTrainEvaluator } from '../src/eval/train-evaluator.js';
import { train } from '../src/train/loop.js';
import { readMetrics } from '../src/train/metrics.js';
import { superniTasksDir } from './helpers/real-data.js';
import { fixtureBatch, fixturesDir, loadFixtureModel, maxRelativeError, readExpected } from './helpers/fixtures.js';

const realTasks = superniTasksDir;
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'pn-eval-'));

describe('generateTexts', () => {
  const prompts = ['Definition: Say hello.\n\nNow complete the following example -\nInput: hi.\nOutput: ', 'Short.', 'A somewhat longer prompt about countries and capitals, with more words in it.'];

  it('batching (sorted, left-padded) does not change any result', async () => {
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 5 });
    const batched = await generateTexts(model, tokenizer, prompts, { maxNewTokens: 6, batchSize: 2, eosTokenIds: [] });
    for (const [i, p] of prompts.entries()) {
      const [alone] = await generateTexts(model, tokenizer, [p], { maxNewTokens: 6, batchSize: 1, eosTokenIds: [] });
      expect(batched[i]!.tokens, `prompt ${i}`).toEqual(alone!.tokens);
      expect(batched[i]!.tokens.length).toBe(6);
      expect(batched[i]!.text).toBe(tokenizer.decode(alone!.tokens, { skipSpecialTokens: true }));
    }
  });

  it('stops at EOS and strips it from tokens and text', async () => {
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 5 });
    // Sampled (a random-init model's greedy output repeats one token); the same seed replays the same draws.
    const sampling = { temperature: 1, seed: 9, maxNewTokens: 8 };
    const free = await generateTexts(model, tokenizer, prompts, { ...sampling, batchSize: 1, eosTokenIds: [] });
    // A prompt whose output has a token that did not occur before it: that token serves as EOS.
    const firstNew = (tokens: number[]) => tokens.findIndex((t, i) => i > 0 && !tokens.slice(0, i).includes(t));
    const which = free.findIndex((g) => firstNew(g.tokens) > 0);
    expect(which).toBeGreaterThanOrEqual(0);
    const tokens = free[which]!.tokens;
    const stop = firstNew(tokens);
    const [stopped] = await generateTexts(model, tokenizer, [prompts[which]!], { ...sampling, eosTokenIds: [tokens[stop]!] });
    expect(stopped!.stoppedAtEos).toBe(true);
    expect(stopped!.tokens).toEqual(tokens.slice(0, stop));
    expect(stopped!.text).toBe(tokenizer.decode(tokens.slice(0, stop), { skipSpecialTokens: true }));
    expect(free[which]!.stoppedAtEos).toBe(false);
  });

  it('cuts prompts to maxPromptTokens (BOS included) and reports it', async () => {
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 5 });
    const [g] = await generateTexts(model, tokenizer, [prompts[2]!], { maxNewTokens: 2, maxPromptTokens: 5 });
    expect(g!.promptTokens).toBe(5);
    expect(g!.promptTruncated).toBe(true);
  });
});

describe('evaluateSuperNI', () => {
  it('memorization split: the held-out instances of training, prompted as in training, scored and written', async () => {
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 5 });
    const out = tmp();
    const result = await evaluateSuperNI(model, tokenizer, { data: 'builtin', split: 'memorization', maxInstances: 2, maxNewTokens: 5, batchSize: 4, out, dataSeed: 42 });
    const training = await loadTrainingData('builtin', tokenizer, { seed: 42 });
    const tasks = builtinTasks();
    expect(result.instances).toBe(2 * tasks.length);
    for (const task of tasks) {
      const mine = result.predictions.filter((p) => p.task === task.name);
      expect(mine.map((p) => p.id)).toEqual(training.selection.train[task.name]!.memorization.slice(0, 2));
      for (const p of mine) {
        const inst = task.instances.find((i) => i.id === p.id)!;
        expect(p.prompt).toBe(await buildSuperNIPrompt(task, inst.input));
        expect(p.references).toEqual(inst.output);
        expect(p.category).toBe(task.categories[0]);
      }
    }
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(result.instances);
    for (const line of lines) {
      expect(Object.keys(line).sort()).toEqual(['category', 'id', 'prediction', 'prompt', 'references', 'scores', 'task']);
      expect(line.scores).toEqual(scoreInstance(line.prediction, line.references));
    }
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    const expected = aggregateScores(lines.map((l) => ({ task: l.task, category: l.category, scores: l.scores })));
    expect(metrics.overall).toEqual(expected.overall);
    expect(metrics.perCategory).toEqual(expected.perCategory);
    expect(metrics.perTask).toEqual(expected.perTask);
    expect(metrics.split).toBe('memorization');
  });

  it('dev split: the tasks training carves out (--dev-tasks, data seed), or a recorded selection, give the same instances', async () => {
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 5 });
    const training = await loadTrainingData('builtin', tokenizer, { seed: 7, devTasks: 3, instancesPerTask: 4 });
    const common = { data: 'builtin', maxInstances: 2, maxNewTokens: 1 };
    const dev = await evaluateSuperNI(model, tokenizer, { ...common, split: 'dev', dataSeed: 7, devTasks: 3 });
    expect(Object.keys(dev.perTask).sort()).toEqual([...training.selection.tasks.dev].sort());
    for (const task of training.selection.tasks.dev) {
      expect(dev.predictions.filter((p) => p.task === task).map((p) => p.id)).toEqual(training.selection.dev[task]!.slice(0, 2));
    }
    const recorded = await evaluateSuperNI(model, tokenizer, { ...common, split: 'dev', selection: training.selection });
    expect(recorded.predictions.map((p) => p.id)).toEqual(dev.predictions.map((p) => p.id));
    // Memorization covers only the training tasks left after carving.
    const mem = await evaluateSuperNI(model, tokenizer, { ...common, split: 'memorization', selection: training.selection });
    expect(Object.keys(mem.perTask).sort()).toEqual([...training.selection.tasks.train].sort());
    for (const task of training.selection.tasks.train) {
      expect(mem.predictions.filter((p) => p.task === task).map((p) => p.id)).toEqual(training.selection.train[task]!.memorization.slice(0, 2));
    }
    await expect(evaluateSuperNI(model, tokenizer, { ...common, split: 'dev' })).rejects.toThrow(/--split dev needs --dev-tasks/);
  });

  it('loss option: teacher-forced loss over each first reference + EOS', async () => {
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 5 });
    const result = await evaluateSuperNI(model, tokenizer, { data: 'builtin', split: 'test', maxInstances: 1, maxNewTokens: 2, loss: true });
    let targets = 0;
    for (const p of result.predictions) targets += Math.min((await tokenizer.encode(p.references[0]!)).length + 1, 2);
    expect(result.loss!.targetTokens).toBe(targets);
    expect(result.loss!.perplexity).toBeCloseTo(Math.exp(result.loss!.meanLoss), 6);
    // A random model is close to uniform over the vocabulary.
    expect(Math.abs(result.loss!.meanLoss - Math.log(model.config().vocabSize))).toBeLessThan(0.5);
  });

  it('test split on real task files: first instances in file order, --tasks filter, unknown task named', async () => {
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 5 });
    const name = 'task1146_country_capital';
    const result = await evaluateSuperNI(model, tokenizer, { data: `superni:${realTasks}`, split: 'test', tasks: [name], maxInstances: 3, maxNewTokens: 3 });
    const task = await readSuperNITask(path.join(realTasks, `${name}.json`));
    expect(result.predictions.map((p) => p.id)).toEqual(task.instances.slice(0, 3).map((i) => i.id));
    expect(Object.keys(result.perTask)).toEqual([name]);
    await expect(evaluateSuperNI(model, tokenizer, { data: `superni:${realTasks}`, split: 'test', tasks: ['task9999_nope'] })).rejects.toThrow(/task9999_nope/);
  });
});

describe('superniTrainEvaluator', () => {
  it('evaluates the dev tasks the run carved, during training; metrics.jsonl and the step folder agree', async () => {
    const out = tmp();
    const evalDir = path.join(out, 'eval');
    const sink = { write: () => true };
    await train({
      model: 'builtin:tiny',
      data: 'builtin',
      steps: 2,
      batchSize: 2,
      instancesPerTask: 3,
      devTasks: 2,
      seed: 3,
      out: path.join(out, 'run'),
      stdout: sink,
      evaluator: superniTrainEvaluator({ data: 'builtin', split: 'dev', devTasks: 2, seed: 3, maxInstances: 1, maxNewTokens: 2, steps: [2], outDir: evalDir }),
    });
    const evalLine = readMetrics(path.join(out, 'run', 'metrics.jsonl')).find((m) => 'eval_rougeL' in m)!;
    const written = JSON.parse(readFileSync(path.join(evalDir, 'step-2', 'metrics.json'), 'utf8'));
    expect(evalLine.step).toBe(2);
    expect(evalLine.eval_rougeL).toBe(written.overall.rougeL);
    expect(evalLine.eval_exactMatch).toBe(written.overall.exactMatch);
    expect(written.step).toBe(2);
    const runConfig = JSON.parse(readFileSync(path.join(out, 'run', 'run_config.json'), 'utf8'));
    expect(Object.keys(written.perTask).sort()).toEqual([...runConfig.data.selection.tasks.dev].sort());
  });
});

describe('evaluateLoss', () => {
  it('is the token-weighted mean loss over all examples (batched = one at a time)', async () => {
    const { model, tokenizer } = await loadModel('builtin:tiny', { seed: 5 });
    const { examples } = await loadTrainingData('builtin', tokenizer, { instancesPerTask: 2 });
    const batched = await evaluateLoss(model, examples, { batchSize: 7, padId: tokenizer.padId });
    let sum = 0;
    let tokens = 0;
    for (const ex of examples) {
      const r = await model.forward({ inputIds: ex.inputIds, labels: ex.labels, batchSize: 1, seqLen: ex.inputIds.length });
      sum += r.lossSum;
      tokens += r.targetTokens;
    }
    expect(batched.targetTokens).toBe(tokens);
    expect(Math.abs(batched.meanLoss - sum / tokens)).toBeLessThan(1e-4);
    expect(batched.perplexity).toBeCloseTo(Math.exp(sum / tokens), 2);
  });
});

describe('loadAdapter (LoRA, as eval loads it)', () => {
  const llamaLora = path.join(fixturesDir, 'llama', 'lora');
  const fixture = async (variant: string) => ({ model: await loadFixtureModel(variant), config: (await readModelConfig(path.join(fixturesDir, variant, 'config.json'))).config });

  it("loads PEFT's adapter: logits equal peft's", async () => {
    const { model, config } = await fixture('llama');
    const settings = await loadAdapter(model, llamaLora, { modelName: path.join(fixturesDir, 'llama') });
    expect(settings).toMatchObject({ method: 'lora', lora: { r: 4, alpha: 8, useRslora: false, targets: { modules: ['q_proj', 'v_proj'] } } });
    expect(model.parameterNames({ group: 'adapter' }).length).toBe(2 * 2 * 2); // 2 layers x q, v x A, B
    const out = await model.forward(await fixtureBatch(path.join(fixturesDir, 'llama', 'expected.safetensors')), { returnLogits: true });
    const expected = await readExpected(path.join(llamaLora, 'expected.safetensors'), 'logits');
    expect(maxRelativeError(out.logits!, expected.data)).toBeLessThan(1e-4);
  });

  it('the rsLoRA regex adapter loads too', async () => {
    const { model, config } = await fixture('llama');
    const dir = path.join(fixturesDir, 'llama', 'lora-rslora-regex');
    await loadAdapter(model, dir);
    const out = await model.forward(await fixtureBatch(path.join(fixturesDir, 'llama', 'expected.safetensors')), { returnLogits: true });
    expect(maxRelativeError(out.logits!, (await readExpected(path.join(dir, 'expected.safetensors'), 'logits')).data)).toBeLessThan(1e-4);
  });

  it('a different base model is named before the model is touched', async () => {
    const { model, config } = await fixture('llama3-gqa');
    await expect(loadAdapter(model, llamaLora, { modelName: path.join(fixturesDir, 'llama3-gqa') })).rejects.toThrow(
      /trained on base model "test\/fixtures\/models\/llama".*the model is ".*llama3-gqa"/,
    );
    expect(model.parameterNames({ group: 'adapter' })).toEqual([]);
  });

  it('wrong shapes name the tensor and both shapes', async () => {
    const { model, config } = await fixture('llama3-gqa');
    await expect(loadAdapter(model, llamaLora, { modelName: 'elsewhere/llama3-gqa', ignoreBaseName: true })).rejects.toThrow(
      /tensor base_model\.model\.model\.layers\.0\.self_attn\.v_proj\.lora_B\.weight has shape \[64, 4\] but this model needs \[32, 4\]/,
    );
  });

  it('unknown target modules, foreign or missing tensors, other PEFT types and missing files are errors', async () => {
    const edit = (mutate: (cfg: Record<string, unknown>) => void) => {
      const dir = tmp();
      cpSync(llamaLora, dir, { recursive: true });
      const file = path.join(dir, 'adapter_config.json');
      const cfg = JSON.parse(readFileSync(file, 'utf8'));
      mutate(cfg);
      writeFileSync(file, JSON.stringify(cfg));
      return dir;
    };
    // A failed load may leave the method attached: each case gets a fresh model.
    const load = async (dir: string) => {
      const { model, config } = await fixture('llama');
      return loadAdapter(model, dir);
    };
    await expect(load(edit((c) => (c.target_modules = ['q_proj', 'c_attn'])))).rejects.toThrow(/adapter_config\.json: target_modules c_attn match no linear module of the model/);
    await expect(load(edit((c) => (c.target_modules = ['q_proj'])))).rejects.toThrow(
      /holds tensors the adapter config does not explain: base_model\.model\.model\.layers\.0\.self_attn\.v_proj\.lora_A\.weight/,
    );
    await expect(load(edit((c) => (c.target_modules = ['q_proj', 'v_proj', 'k_proj'])))).rejects.toThrow(/has no tensor base_model\.model\.model\.layers\.0\.self_attn\.k_proj\.lora_A\.weight/);
    await expect(load(edit((c) => (c.r = 8)))).rejects.toThrow(/q_proj\.lora_A\.weight has shape \[4, 64\] but this model needs \[8, 64\]/);
    await expect(load(edit((c) => (c.peft_type = 'LOHA')))).rejects.toThrow(/unknown peft_type "LOHA"/);
    await expect(load(edit((c) => (c.use_dora = true)))).rejects.toThrow(/has no tensor .*lora_magnitude_vector/);
    await expect(load(tmp())).rejects.toThrow(/no adapter_config\.json/);
    expect(existsSync(llamaLora)).toBe(true);
    // A model that already holds an adapter is refused.
    const { model, config } = await fixture('llama');
    await loadAdapter(model, llamaLora);
    await expect(loadAdapter(model, llamaLora)).rejects.toThrow(/already has adapter weights/);
  });
});

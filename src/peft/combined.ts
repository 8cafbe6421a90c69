// Combined methods: several method records composed into one (`--method lora+adapter`), not a method of their
// own. The parts train together on one model; each keeps its own flags, defaults, initialization (the run's
// seed, as if applied alone), file layout and loader. Two parts may not occupy the same place in the model
// (MethodPlace): one adapter per linear layer, one set of virtual tokens, and full finetuning combines with
// nothing. The saved folder holds each part's own adapter folder under its method name, beside a root
// adapter_config.json (peft_type PEFT_NATIVE_COMBINED) that lists them.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ADAPTER_CONFIG_FILE } from './adapter-files.js';
import { peftTaskType } from '../models/module-names.js';
import { writeFolderAtomically } from '../models/save.js';
import { LoraOptionsError } from './lora.js';
import type { MethodFlagSpec, MethodSpec, MethodTrainOptions } from './method-spec.js';

export const COMBINED_PEFT_TYPE = 'PEFT_NATIVE_COMBINED';
/** Joins the parts of a combined method's name (`lora+adapter`). */
export const METHOD_JOINER = '+';

export type CombinedSettings<S extends { method: string }> = { method: string; parts: S[] };

/**
 * The problem with combining these records (in the order given), or null when they combine. Messages read
 * after "--method <name>: ".
 */
export function combinationProblem(parts: ReadonlyArray<MethodSpec<{ method: string }>>): string | null {
  const base = parts.find((p) => p.capabilities.trainsBase);
  if (base) return `${base.title} trains every weight and combines with no other method`;
  for (let i = 0; i < parts.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = parts[j]!, b = parts[i]!;
      if (a.name === b.name) return `${a.title} is listed twice`;
      const shared = a.capabilities.places.find((p) => b.capabilities.places.includes(p));
      if (shared) return `${a.title} and ${b.title} cannot be combined: both live in the model's ${shared}`;
    }
  }
  return null;
}

/** The settings of the part called `method` in combined settings, if it is one of them. */
export function partSettings<S extends { method: string }>(s: CombinedSettings<S>, method: string): S | undefined {
  return s.parts.find((p) => p.method === method);
}

function unionFlags(parts: ReadonlyArray<MethodSpec<{ method: string }>>): MethodFlagSpec[] {
  const byKey = new Map<string, MethodFlagSpec>();
  for (const f of parts.flatMap((p) => p.cli)) if (!byKey.has(f.key)) byKey.set(f.key, f);
  return [...byKey.values()];
}

/**
 * One record for parts that combine (combinationProblem is null; the caller checks). `--target-modules`
 * goes to every part that takes target modules.
 */
export function combineMethods<S extends { method: string }>(parts: ReadonlyArray<MethodSpec<S>>): MethodSpec<CombinedSettings<S>> {
  const name = parts.map((p) => p.name).join(METHOD_JOINER);
  const partOf = (s: S): MethodSpec<S> => {
    const spec = parts.find((p) => p.name === s.method);
    if (!spec) throw new Error(`combined method ${name}: no part ${s.method}`);
    return spec;
  };
  const every = (c: 'packing' | 'mergeable') => parts.every((p) => p.capabilities[c]);
  return {
    name,
    title: parts.map((p) => p.title).join(' + '),
    cli: unionFlags(parts),
    targetModules: parts.some((p) => p.targetModules),
    resolve: (o, targets, loraDefaults) => ({ method: name, parts: parts.map((p) => p.resolve(o, targets, loraDefaults)) }),
    describe: (s) => s.parts.map((p) => partOf(p).describe(p)).join(' + '),
    // Every part draws its initial values from the run's seed, so each starts where it would alone.
    apply: (model, s, config, seed) => s.parts.flatMap((p) => partOf(p).apply(model, p, config, seed)),
    forModel: (s, config) => ({ ...s, parts: s.parts.map((p) => partOf(p).forModel?.(p, config) ?? p) }),
    targets: (s) => s.parts.map((p) => partOf(p).targets?.(p) ?? null).find((t) => t !== null) ?? null,
    save: async (model, dir, s, ctx) => {
      const written: string[] = [];
      const config = {
        peft_type: COMBINED_PEFT_TYPE,
        peft_native_method: name,
        parts: s.parts.map((p) => p.method),
        base_model_name_or_path: ctx.baseModelNameOrPath,
        task_type: peftTaskType(ctx.config),
      };
      await writeFolderAtomically(dir, ADAPTER_CONFIG_FILE, async (tmp) => {
        for (const p of s.parts) {
          const spec = partOf(p);
          if (!spec.save) throw new Error(`combined method ${name}: ${spec.title} saves no adapter`);
          const files = await spec.save(model, path.join(tmp, p.method), p, { baseModelNameOrPath: ctx.baseModelNameOrPath, config: ctx.config });
          written.push(...files.map((f) => path.join(path.resolve(dir), path.relative(tmp, f))));
        }
        for (const [file, content] of ctx.extraFiles ?? []) await writeFile(path.join(tmp, file), content);
        await writeFile(path.join(tmp, ADAPTER_CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
      });
      return [path.join(path.resolve(dir), ADAPTER_CONFIG_FILE), ...written];
    },
    bench: {
      keys: Object.assign({}, ...parts.map((p) => p.bench.keys)) as Record<string, string>,
      options: (params, int, num) => {
        const each = parts.map((p) => p.bench.options(params, int, num));
        const options: MethodTrainOptions = Object.assign({}, ...each.map((e) => e.options));
        const targets = each.find((e) => e.targets !== undefined)?.targets;
        return targets === undefined ? { options } : { options, targets };
      },
    },
    studyRecipe: Object.assign({}, ...parts.map((p) => p.studyRecipe)),
    capabilities: {
      trainsBase: false,
      packing: every('packing'),
      mergeable: every('mergeable'),
      hfPeftLayout: false,
      adaptsModules: parts.some((p) => p.capabilities.adaptsModules),
      places: parts.flatMap((p) => p.capabilities.places),
    },
  };
}

/** Throws the combination problem as a one-line options error. */
export function checkCombination(name: string, parts: ReadonlyArray<MethodSpec<{ method: string }>>): void {
  const problem = combinationProblem(parts);
  if (problem !== null) throw new LoraOptionsError(`--method ${name}: ${problem}`);
}

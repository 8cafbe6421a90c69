// BitFit (Ben Zaken et al. 2022): only biases train; every linear of the blocks without a bias gets a
// zero-initialized trainable one. Saved in this project's layout (docs/ADAPTER_FORMATS.md): adapter_config.json
// with peft_type PEFT_NATIVE_BITFIT and the biases under their HF names (<module>.bias).
import type { NativeModel, NativeModelConfig } from '../native/binding.js';
import { AdapterError, ConfigFields, loadAdapterTensors, writeAdapterFolder, type AdapterFolder } from './adapter-files.js';

export const BITFIT_PEFT_TYPE = 'PEFT_NATIVE_BITFIT';

function biasEntries(model: NativeModel): Array<[string, string]> {
  return model.parameterNames({ trainableOnly: true }).filter((n) => n.endsWith('.bias')).map((n) => [n, n]);
}

export function bitfitAdapterConfig(model: NativeModel, base: string, config: NativeModelConfig): Record<string, unknown> {
  return {
    peft_type: BITFIT_PEFT_TYPE,
    format_version: 1,
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: base,
    // Biases the base checkpoint lacks (zero-initialized when BitFit was applied).
    added_biases: model.parameterNames({ group: 'adapter' }),
    hidden_size: config.hiddenSize,
    num_layers: config.numHiddenLayers,
  };
}

export async function saveBitfitAdapter(model: NativeModel, dir: string, base: string, config: NativeModelConfig, extraFiles?: Array<[string, string]>): Promise<string[]> {
  const e = biasEntries(model);
  if (e.length === 0) throw new Error('saveBitfitAdapter: the model has no trainable biases (was BitFit applied?)');
  return writeAdapterFolder(dir, bitfitAdapterConfig(model, base, config), (file) => model.saveParameters(file, e, { format: 'pt' }), extraFiles);
}

export function checkBitfitConfig(folder: AdapterFolder, config: NativeModelConfig): void {
  const f = new ConfigFields(folder);
  const hidden = f.positiveInt('hidden_size');
  const layers = f.positiveInt('num_layers');
  if (hidden !== config.hiddenSize || layers !== config.numHiddenLayers) {
    throw new AdapterError(`${folder.configFile}: the biases are for hidden size ${hidden} and ${layers} layers; this model has ${config.hiddenSize} and ${config.numHiddenLayers}`);
  }
}

export async function loadBitfitWeights(model: NativeModel, folder: AdapterFolder, baseHint: string): Promise<void> {
  await loadAdapterTensors(model, folder, biasEntries(model), baseHint);
}

// A model folder's config.json checked against its weights and against the machine before the model is created:
// parameters are allocated from the config, so a wrong size (hidden_size 2^40, a vocab_size of another model)
// would otherwise end in the allocator's own message, naming neither file nor field.
import os from 'node:os';
import type { NativeModelConfig, NativeTensorInfo } from '../native/binding.js';
import { CheckpointError } from './checkpoint.js';
import { countParameters } from './config.js';

/** Bytes per parameter as the model holds it: float32 master weights (bf16 runs autocast around them). */
const BYTES_PER_PARAMETER = 4;

/** The config.json fields that size the model, as the user wrote them, for messages. */
function sizeFields(config: NativeModelConfig): string {
  const fields: Array<[string, number]> =
    config.modelType === 't5'
      ? [['d_model', config.dModel], ['d_ff', config.dFf], ['num_layers', config.numLayers], ['num_decoder_layers', config.numDecoderLayers], ['vocab_size', config.vocabSize]]
      : [['hidden_size', config.hiddenSize], ['intermediate_size', config.intermediateSize], ['num_hidden_layers', config.numHiddenLayers], ['vocab_size', config.vocabSize]];
  return fields.map(([k, v]) => `${k} ${v}`).join(', ');
}

function elements(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function gigabytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toPrecision(3)} GiB`;
}

/**
 * Throws CheckpointError when config.json describes more than twice the parameters the weight files hold (every
 * parameter is read from them, so such a config does not belong to these weights), or more than this machine's
 * memory can hold. `tensors` are the weight files' headers.
 */
export function checkConfigFitsWeights(configFile: string, config: NativeModelConfig, weightFiles: string[], tensors: NativeTensorInfo[]): void {
  const needed = countParameters(config);
  const held = tensors.reduce((sum, t) => sum + elements(t.shape), 0);
  const files = weightFiles.length === 1 ? weightFiles[0] : `the ${weightFiles.length} weight files`;
  // A config a little off (a missing layer, another intermediate_size) allocates no more than the weights' size
  // and the loader names each missing or misshapen tensor; one far off (hidden_size 2^40) is stopped here.
  if (needed > 2 * held) {
    throw new CheckpointError(
      `${configFile} does not match ${files}: its sizes (${sizeFields(config)}) make ${needed.toLocaleString('en-US')} parameters, ` +
        `the weights hold ${held.toLocaleString('en-US')}`,
    );
  }
  const bytes = needed * BYTES_PER_PARAMETER;
  if (bytes > os.totalmem()) {
    throw new CheckpointError(
      `${configFile}: the model (${sizeFields(config)}) needs ${gigabytes(bytes)} for its float32 parameters, more than this machine's ${gigabytes(os.totalmem())} of memory`,
    );
  }
}
